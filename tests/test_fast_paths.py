"""The start-up shortcuts give exactly what botocore gives, or step aside.

- The early identity request, side by side with botocore over a matrix of configurations people
  use: the same host, the same signing identity, or it stood aside.
- The model cache: read only when it is the user's own, in a folder only they may write, and bound
  to the botocore files it was made from; what decides where a request goes is never cached.
- Credentials that hang, entry points that fail, input files that are not files.
"""

from __future__ import annotations

import marshal
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from checks.aws import early as early_mod
from checks.aws import models
from checks.aws.models import CachedLoader
from tests.conftest import ROOT

KEY, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEtoken=="


class Sent(Exception):
    """botocore's request, caught as it would leave."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url, self.headers = url, headers


def botocore_request(region: str, endpoint_url: str | None) -> Sent | None:
    """Where botocore sends GetCallerIdentity and how it signs it, in this process's environment; None when
    botocore could not even make the request (it then says why in its own words)."""
    import botocore.exceptions
    import botocore.session

    def stop(request: Any, **_: Any) -> None:
        raise Sent(
            request.url, {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        )

    try:
        session = botocore.session.Session()
        client = session.create_client("sts", region_name=region, endpoint_url=endpoint_url)
        client.meta.events.register_first("before-send", stop)
        client.get_caller_identity()
    except Sent as sent:
        return sent
    except botocore.exceptions.BotoCoreError:
        return None
    raise AssertionError("botocore sent nothing")


SERVICES = "[default]\nservices = local\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:4599\n"
# (name, region, --endpoint-url, environment, config file, credentials file, the early request goes)
MATRIX = [
    ("plain", "us-east-1", None, {}, None, None, True),
    ("plain-token", "eu-west-3", None, {"AWS_SESSION_TOKEN": TOKEN}, None, None, True),
    ("endpoint-flag", "us-east-1", "http://127.0.0.1:4566", {}, None, None, True),
    ("endpoint-sts-env", "us-east-1", None, {"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4567"}, None, None, True),
    ("endpoint-env", "eu-west-1", None, {"AWS_ENDPOINT_URL": "http://127.0.0.1:4568"}, None, None, True),
    (
        "ignore-configured-endpoints",
        "us-east-1",
        None,
        {"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4567", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
        None,
        None,
        False,
    ),
    ("sts-legacy-env", "us-east-1", None, {"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}, None, None, False),
    ("fips-env", "us-east-1", None, {"AWS_USE_FIPS_ENDPOINT": "true"}, None, None, False),
    ("dualstack-env", "us-east-1", None, {"AWS_USE_DUALSTACK_ENDPOINT": "true"}, None, None, False),
    ("proxy", "us-east-1", None, {"HTTPS_PROXY": "http://127.0.0.1:3128"}, None, None, False),
    ("ca-bundle-env", "us-east-1", None, {"AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}, None, None, True),
    (
        "profile-env",
        "us-east-1",
        None,
        {"AWS_PROFILE": "course"},
        "[profile course]\nregion = us-east-1\n",
        None,
        False,
    ),
    ("config-endpoint", "us-east-1", None, {}, "[default]\nendpoint_url = http://127.0.0.1:4566\n", None, False),
    ("config-services", "us-east-1", None, {}, SERVICES, None, False),
    ("config-fips", "us-east-1", None, {}, "[default]\nuse_fips_endpoint = true\n", None, False),
    ("config-dualstack", "us-east-1", None, {}, "[default]\nuse_dualstack_endpoint = true\n", None, False),
    ("config-sts-legacy", "us-east-1", None, {}, "[default]\nsts_regional_endpoints = legacy\n", None, False),
    ("config-ca-bundle", "us-east-1", None, {}, "[default]\nca_bundle = /nonexistent/ca.pem\n", None, False),
    ("config-process", "us-east-1", None, {}, "[default]\ncredential_process = /bin/false\n", None, False),
    ("config-sso", "us-east-1", None, {}, "[default]\nsso_start_url = https://x.awsapps.com/start\n", None, False),
    (
        "config-role",
        "us-east-1",
        None,
        {},
        "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = a\n",
        None,
        False,
    ),
    (
        "config-profile-default",
        "us-east-1",
        None,
        {},
        "[profile default]\nendpoint_url = http://127.0.0.1:1\n",
        None,
        False,
    ),
    ("config-plain", "us-east-1", None, {}, "[default]\nregion = eu-west-1\noutput = json\n", None, True),
    ("config-other-profile", "us-east-1", None, {}, "[profile other]\nendpoint_url = http://127.0.0.1:1\n", None, True),
    (
        "credentials-plain",
        "us-east-1",
        None,
        {},
        None,
        "[default]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = x\n",
        True,
    ),
    ("credentials-process", "us-east-1", None, {}, None, "[default]\ncredential_process = /bin/false\n", False),
    ("config-unreadable", "us-east-1", None, {}, "[default\nregion = us-east-1\n", None, False),
    ("china", "cn-north-1", None, {}, None, None, False),
    ("govcloud", "us-gov-west-1", None, {}, None, None, False),
]


@pytest.mark.parametrize(
    ("region", "endpoint", "env", "config", "credentials", "goes"),
    [m[1:] for m in MATRIX],
    ids=[m[0] for m in MATRIX],
)
def test_the_early_request_goes_where_botocore_goes_signed_as_botocore_signs_or_stands_aside(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    region: str,
    endpoint: str | None,
    env: dict[str, str],
    config: str | None,
    credentials: str | None,
    goes: bool,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    for name in ("AWS_DEFAULT_REGION", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, text in (("AWS_CONFIG_FILE", config), ("AWS_SHARED_CREDENTIALS_FILE", credentials)):
        if text is not None:
            path = tmp_path / name.lower()
            path.write_text(text)
            monkeypatch.setenv(name, str(path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    planned = early_mod.plan(region, endpoint, dict(os.environ))
    assert (planned is not None) == goes
    if planned is None:
        return
    sent = botocore_request(region, endpoint)
    assert sent is not None
    assert urlsplit(planned.url).netloc == urlsplit(sent.url).netloc  # the same host
    scope = sent.headers["authorization"].split("Credential=")[1].split(",")[0]
    assert scope.split("/")[0] == planned.key and scope.split("/")[2:] == [planned.region, "sts", "aws4_request"]
    assert sent.headers.get("x-amz-security-token") == planned.token  # the same signing identity
    headers = early_mod.sign(planned.url, planned.region, planned.key, planned.secret, planned.token, _when(sent))
    assert headers["authorization"].split("Signature=")[0] == sent.headers["authorization"].split("Signature=")[0]


def _when(sent: Sent) -> Any:
    from datetime import datetime, timezone

    return datetime.strptime(sent.headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def test_the_command_lines_early_request_stands_aside_for_a_localstack_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported case: a config file's endpoint_url (LocalStack) sent the early request to AWS."""
    from checks.cli import _ask_identity_early, build_parser

    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1\nendpoint_url = http://localhost.localstack.cloud:4566\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setitem(sys.modules, "botocore", None)  # as in a fresh process: botocore not loaded yet
    monkeypatch.delitem(sys.modules, "botocore")
    args = build_parser().parse_args(["lambda_medium", "--student-id", "s1", "--region", "us-east-1"])
    assert _ask_identity_early(args) is None


# -- the model cache ----------------------------------------------------------------------------------
def test_the_cache_keeps_what_botocore_reads_bound_to_its_files(tmp_path: Path) -> None:
    import botocore.loaders

    folder = tmp_path / "cache"
    loader = CachedLoader(folder)
    model = loader.load_service_model("sqs", "service-2")
    assert model == botocore.loaders.create_loader().load_service_model("sqs", "service-2")
    assert oct(folder.stat().st_mode & 0o777) == "0o700"  # made for this user alone
    kept = marshal.loads((folder / "sqs.service-2.latest.marshal").read_bytes())
    ((where, size, digest),) = kept["sources"]
    assert where.endswith("botocore/data/sqs/2012-11-05/service-2.json.gz") and size == Path(where).stat().st_size
    assert len(digest) == 64
    assert CachedLoader(folder).load_service_model("sqs", "service-2") == model


def plant(folder: Path, key: str = "sqs.service-2.latest") -> Path:
    """A model made for the cache, then changed: its service answers at another host."""
    CachedLoader(folder).load_service_model("sqs", "service-2")
    path = folder / f"{key}.marshal"
    kept = marshal.loads(path.read_bytes())
    kept["model"]["metadata"]["endpointPrefix"] = "attacker"
    path.write_bytes(marshal.dumps(kept))
    return path


def loaded_prefix(folder: Path) -> str:
    return str(CachedLoader(folder).load_service_model("sqs", "service-2")["metadata"]["endpointPrefix"])


def test_a_planted_model_is_read_only_from_the_users_own_private_folder(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    path = plant(folder)
    assert loaded_prefix(folder) == "attacker"  # the user's own, private: trusted (the user wrote it)
    os.chown(path, 65534, 65534)  # someone else's file
    assert loaded_prefix(folder) == "sqs"
    assert path.stat().st_uid == os.getuid()  # ignored, and written again as the user's own
    plant(folder)
    folder.chmod(0o777)  # a shared folder: anyone could have put it there
    assert loaded_prefix(folder) == "sqs"
    folder.chmod(0o700)
    os.chown(folder, 65534, 65534)  # a folder someone else made in a shared cache home
    assert loaded_prefix(folder) == "sqs" and CachedLoader(folder).folder is None


def test_a_model_not_bound_to_the_botocore_files_there_are_is_ignored_and_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    path = plant(folder)
    kept = marshal.loads(path.read_bytes())
    where, size, digest = kept["sources"][0]
    for sources in ([(where, size + 1, digest)], [(where, size, "0" * 64)], [], "nothing", [(str(path), 1, "x")]):
        kept["sources"] = sources
        path.write_bytes(marshal.dumps(kept))
        assert loaded_prefix(folder) == "sqs", sources
        plant(folder)
    elsewhere = tmp_path / "elsewhere.json"  # bound to a file of the attacker's, which does match
    elsewhere.write_text("{}")
    kept["sources"] = [(str(elsewhere), *models._digest(str(elsewhere)))]  # type: ignore[misc]
    path.write_bytes(marshal.dumps(kept))
    assert loaded_prefix(folder) == "sqs"


def test_where_a_request_goes_is_never_read_from_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    loader = CachedLoader(folder)
    loader.load_service_model("lambda", "endpoint-rule-set-1")
    loader.load_data("partitions")
    assert not list(folder.glob("*endpoint-rule-set*")) and not (folder / "partitions.marshal").exists()


def test_a_link_in_place_of_a_cache_file_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    real = plant(folder)
    target = tmp_path / "elsewhere.marshal"
    real.rename(target)
    real.symlink_to(target)
    assert loaded_prefix(folder) == "sqs"


def test_a_cache_that_cannot_be_written_is_simply_not_used(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    loader = CachedLoader(blocked / "cache")
    assert loader.folder is None
    assert loader.load_service_model("sqs", "service-2")["metadata"]["serviceId"] == "SQS"
    written = tmp_path / "cache"
    CachedLoader(written).load_service_model("sqs", "service-2")
    assert [p.name for p in written.iterdir()] == ["sqs.service-2.latest.marshal"]  # no temporary file left


# -- credentials that hang ---------------------------------------------------------------------------
@pytest.fixture
def stuck_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A profile whose credential_process waits for ever (an MFA prompt no one answers); another that works."""
    helper = tmp_path / "helper.sh"
    helper.write_text(f"#!/bin/sh\necho $$ >> {tmp_path}/helper.pids\nexec sleep 600\n")
    helper.chmod(0o755)
    config = tmp_path / "config"
    config.write_text(
        f"[profile stuck]\nregion = us-east-1\ncredential_process = {helper}\n"
        "[profile fine]\nregion = us-east-1\naws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    yield tmp_path
    import contextlib

    pids = tmp_path / "helper.pids"
    for pid in pids.read_text().split() if pids.exists() else []:  # the helper botocore left waiting
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


@pytest.fixture
def moto_endpoint() -> Any:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_a_hanging_credential_process_is_that_accounts_error_and_the_class_is_written(
    stuck_profile: Path, moto_endpoint: str
) -> None:
    roster = stuck_profile / "class.csv"
    roster.write_text("student_id,profile\ns1,stuck\ns2,fine\n")
    gradebook = stuck_profile / "grades.csv"
    argv = ["lambda_medium", "--roster", str(roster), "--gradebook", str(gradebook), "--endpoint-url", moto_endpoint]
    begun = time.monotonic()
    done = subprocess.run(
        [sys.executable, "validate_tasks.py", *argv, "--account-timeout", "2", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
    )
    assert time.monotonic() - begun < 30
    assert done.returncode == 3, done.stderr
    rows = {line.split(",")[0]: line for line in gradebook.read_text().splitlines()[1:]}
    assert "profile stuck's credentials did not come within 2 s" in rows["s1"]
    assert "did not come" not in rows["s2"] and ",0,120," in rows["s2"]  # graded: nothing deployed


def test_sigterm_ends_a_grade_waiting_for_credentials_at_once(stuck_profile: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "validate_tasks.py", "lambda_medium", "--student-id", "s1", "--profile", "stuck"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
    )
    try:
        limit = time.monotonic() + 30
        while not (stuck_profile / "helper.pids").exists() and time.monotonic() < limit:
            time.sleep(0.05)
        assert (stuck_profile / "helper.pids").exists(), "the credential process started"
        begun = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)
        assert time.monotonic() - begun < 3
    finally:
        proc.kill()
    assert proc.returncode == 130 and "Traceback" not in err


# -- loaded from elsewhere, read from disk ---------------------------------------------------------------
def test_a_format_entry_point_that_raises_at_import_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.metadata

    from checks.cli import main

    point = importlib.metadata.EntryPoint("broken", "no_such_package.formats:html", "validate_tasks.formats")
    real = importlib.metadata.entry_points

    def points(**selection: Any) -> Any:
        if selection.get("group") == "validate_tasks.formats":
            return [point]
        return real(**selection)

    monkeypatch.setattr(importlib.metadata, "entry_points", points)
    assert main(["lambda_medium", "--demo", "--format", "broken"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "format 'broken' (entry point no_such_package.formats:html) cannot load: ModuleNotFoundError" in err


@pytest.mark.parametrize("command", ["show", "merge"])
def test_merge_and_show_refuse_what_is_not_a_regular_file(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    fifo = folder / "s1.json"
    os.mkfifo(fifo)
    target = str(fifo) if command == "show" else str(folder)
    begun = time.monotonic()
    done = subprocess.run(
        [sys.executable, "validate_tasks.py", command, target], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert time.monotonic() - begun < 20
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "is not a regular file" in done.stderr


def test_input_files_larger_than_their_kind_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from checks.cli import main
    from checks.inputs import REPORT_LIMIT

    big = tmp_path / "report.json"
    with open(big, "wb") as f:
        f.truncate(REPORT_LIMIT + 1)
    assert main(["show", str(big)]) == 2
    assert "is larger than 8 MiB" in capsys.readouterr().err
    folder = tmp_path / "shard"
    folder.mkdir()
    (folder / "s1.json").write_bytes(big.read_bytes())
    assert main(["merge", str(folder)]) == 2
    assert "is larger than 8 MiB" in capsys.readouterr().err
