"""Start-up: the identity question sent before botocore loads, and the service models read from a cache.

Both keep what is right: the early request is signed exactly as botocore signs it, its answer is
taken only when it is AWS's, anything else is asked again the usual way (one request in all when
it is answered), and a model read from the cache is the model botocore reads.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from checks.aws import CannotGrade, new_session
from checks.aws import early as early_mod
from checks.aws.models import CachedLoader, cache_folder, create_loader

WHEN = dt.datetime(2026, 12, 1, 3, 4, 5, tzinfo=dt.timezone.utc)
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
IDENTITY = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    b"<Arn>arn:aws:iam::123456789012:user/s1</Arn><UserId>AIDA</UserId><Account>123456789012</Account>"
    b"</GetCallerIdentityResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata>"
    b"</GetCallerIdentityResponse>"
)


@pytest.mark.parametrize(
    ("url", "token"),
    [("https://sts.eu-west-1.amazonaws.com", None), ("http://127.0.0.1:4566", "FwoGZXIvYXdzE//token==")],
)
def test_the_early_request_is_signed_as_botocore_signs_it(
    monkeypatch: pytest.MonkeyPatch, url: str, token: str | None
) -> None:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    region = "eu-west-1"
    ours = early_mod.sign(url, region, KEY, SECRET, token, WHEN)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: WHEN.replace(tzinfo=None))
    request = AWSRequest(
        method="POST", url=url + "/", data=early_mod.BODY, headers={"Content-Type": early_mod.CONTENT_TYPE}
    )
    botocore.auth.SigV4Auth(Credentials(KEY, SECRET, token), "sts", region).add_auth(request)
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"]
    assert ours.get("x-amz-security-token") == request.headers.get("X-Amz-Security-Token")


class _Sts(BaseHTTPRequestHandler):
    answer: ClassVar[tuple[int, bytes]] = (200, IDENTITY)
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        type(self).seen.append({"path": self.path, "body": body, "headers": headers})
        status, answer = type(self).answer
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sts() -> Iterator[type[_Sts]]:
    class Handler(_Sts):
        seen: ClassVar[list[dict[str, Any]]] = []

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield Handler
    server.shutdown()
    server.server_close()


def _env(**extra: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, **extra}


def test_an_answer_of_aws_gives_the_account_in_one_request(sts: type[_Sts]) -> None:
    asked = early_mod.start("us-east-1", sts.url, _env())  # type: ignore[attr-defined]
    assert asked is not None and asked.account() == "123456789012"
    (request,) = sts.seen
    assert request["body"] == early_mod.BODY and request["path"] == "/"
    assert request["headers"]["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={KEY}/")


@pytest.mark.parametrize(
    "answer",
    [
        (403, b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"),
        (200, b"<html>a captive portal</html>"),
        (200, IDENTITY.replace(b"123456789012", b"12345")),
        (200, IDENTITY[:60]),
    ],
    ids=["refused", "html", "not-12-digits", "cut-short"],
)
def test_any_other_answer_is_asked_again_the_usual_way(
    sts: type[_Sts], answer: tuple[int, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    sts.answer = answer
    asked = early_mod.start("us-east-1", sts.url, _env())  # type: ignore[attr-defined]
    assert asked is not None and asked.account() is None and not asked.unreachable
    from checks.aws import Account

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    account = Account(new_session(region_name="us-east-1"), "us-east-1", sts.url)  # type: ignore[attr-defined]
    account.early = early_mod.start("us-east-1", sts.url, _env())  # type: ignore[attr-defined]
    with pytest.raises(CannotGrade):  # botocore's path asks again and says what is wrong in its words
        account.identify()
    assert account.calls == ["sts:GetCallerIdentity", "sts:GetCallerIdentity"]


def test_an_endpoint_that_cannot_be_reached_is_said_without_asking_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    from checks.aws import Account

    account = Account(new_session(region_name="us-east-1"), "us-east-1", closed)
    account.early = early_mod.start("us-east-1", closed, _env())
    assert account.early is not None
    with pytest.raises(CannotGrade, match=f"cannot reach {closed}"):
        account.identify()
    assert account.calls == []  # no request left


def test_an_identity_answered_early_is_the_accounts_only_identity_request(
    sts: type[_Sts], monkeypatch: pytest.MonkeyPatch
) -> None:
    from checks.aws import Account

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    account = Account(new_session(region_name="us-east-1"), "us-east-1", sts.url)  # type: ignore[attr-defined]
    account.early = early_mod.start("us-east-1", sts.url, _env())  # type: ignore[attr-defined]
    assert account.identify() == "123456789012" and account.identify() == "123456789012"
    assert account.calls == ["sts:GetCallerIdentity"] and len(sts.seen) == 1
    other = Account(new_session(region_name="eu-west-1"), "eu-west-1", sts.url)  # type: ignore[attr-defined]
    other.early = sent = early_mod.start("us-east-1", sts.url, _env())  # type: ignore[attr-defined]
    other.identify()  # asked for another region: not this account's answer, asked again
    assert sent is not None and sent.account() == "123456789012"  # the early request, answered on its thread
    assert other.calls == ["sts:GetCallerIdentity"] and len(sts.seen) == 3


@pytest.mark.parametrize(
    ("region", "endpoint", "env"),
    [
        (None, None, _env()),
        ("us-east-1", None, {"AWS_ACCESS_KEY_ID": KEY}),
        ("us-east-1", None, _env(AWS_PROFILE="course")),
        ("us-east-1", None, _env(HTTPS_PROXY="http://proxy:3128")),
        ("us-east-1", None, _env(AWS_USE_FIPS_ENDPOINT="true")),
        ("cn-north-1", None, _env()),  # another partition: its endpoint is botocore's to tell
        ("us-east-1", "localhost:4566", _env()),  # no scheme: refused later, in one line
    ],
    ids=["no-region", "no-secret", "profile", "proxy", "fips", "china", "no-scheme"],
)
def test_anything_botocore_decides_is_left_to_botocore(
    region: str | None, endpoint: str | None, env: dict[str, str]
) -> None:
    assert early_mod.start(region, endpoint, env) is None


def test_the_default_endpoint_is_stss_regional_one() -> None:
    assert early_mod.endpoint_for("eu-central-2", None, {}) == "https://sts.eu-central-2.amazonaws.com"
    assert early_mod.endpoint_for("eu-central-2", None, {"AWS_ENDPOINT_URL_STS": "http://x:1"}) == "http://x:1"


# -- the service models' cache ---------------------------------------------------------------------
def test_a_model_from_the_cache_is_the_model_botocore_reads(tmp_path: Path) -> None:
    import botocore.loaders

    plain = botocore.loaders.create_loader()
    first = CachedLoader(tmp_path)
    model = first.load_service_model("lambda", "service-2")
    assert model == plain.load_service_model("lambda", "service-2")
    assert first.load_data("endpoints") == plain.load_data("endpoints")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["endpoints.marshal", "lambda.service-2.latest.marshal"]
    again = CachedLoader(tmp_path).load_service_model("lambda", "service-2")  # read from the file
    assert again == model and json.dumps(list(again["shapes"])[:5]) == json.dumps(list(model["shapes"])[:5])


def test_a_cache_file_that_cannot_be_read_is_written_again(tmp_path: Path) -> None:
    CachedLoader(tmp_path).load_service_model("sqs", "service-2")
    path = tmp_path / "sqs.service-2.latest.marshal"
    path.write_bytes(b"\x00not marshal")
    assert CachedLoader(tmp_path).load_service_model("sqs", "service-2")["metadata"]["serviceId"] == "SQS"
    assert path.read_bytes() != b"\x00not marshal"


def test_a_graders_whole_grade_reads_its_clients_through_the_cache(tmp_path: Path) -> None:
    import botocore.session

    core = botocore.session.Session()
    core.register_component("data_loader", CachedLoader(tmp_path))
    core.set_credentials(KEY, SECRET)
    client = core.create_client("ec2", region_name="us-east-1")
    assert client.can_paginate("describe_subnets") and (tmp_path / "ec2.service-2.latest.marshal").exists()


def test_the_users_own_model_folders_are_left_to_botocore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not isinstance(create_loader(str(tmp_path)), CachedLoader)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert isinstance(create_loader(None), CachedLoader)
    (tmp_path / ".aws" / "models").mkdir(parents=True)
    assert not isinstance(create_loader(None), CachedLoader)
    assert cache_folder({"VALIDATE_TASKS_CACHE": str(tmp_path)}).parent == tmp_path  # type: ignore[union-attr]
    assert cache_folder({"XDG_CACHE_HOME": str(tmp_path)}).parent == tmp_path / "validate-tasks"  # type: ignore[union-attr]


def test_everything_before_the_first_request_loads_no_botocore() -> None:
    """The command line, the assessment and the region check: the identity question leaves before botocore."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.test_layout import GRAPH

    assert not {"botocore", "boto3"} & (GRAPH["checks.aws.early"] | GRAPH["checks.aws.regions"])
    code = (
        "import sys\n"
        "from checks.cli import build_parser, resolve_region, _choose_format\n"
        "from checks.registry import load_assessment\n"
        "args = build_parser().parse_args(['lambda_medium', '--student-id', 's1', '--region', 'eu-west-1'])\n"
        "load_assessment(args.assessment); resolve_region(args.region); _choose_format(None)\n"
        "print('botocore' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_every_name_aws_access_offers_is_found_where_it_says() -> None:
    import checks.aws

    for name in checks.aws.__all__:
        assert getattr(checks.aws, name) is not None, name
    with pytest.raises(AttributeError):
        checks.aws.nothing_here  # noqa: B018
