"""The sandbox command: a local endpoint on 127.0.0.1 that the AWS CLI and the grader can use."""

from __future__ import annotations

import io
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import boto3
import pytest

from tests.conftest import ROOT


def test_sandbox_serves_logs_each_request_and_stops_on_ctrl_c() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "validate_tasks.py", "sandbox", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first
        url = first.split("listening on ", 1)[1].split(".", 4)
        endpoint = ".".join(url[:4]).rstrip(".")
        printed = "".join(proc.stdout.readline() for _ in range(5))
        assert f"export AWS_ENDPOINT_URL={endpoint}" in printed
        lam = boto3.client(
            "lambda",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="sandbox",  # what it printed
            aws_secret_access_key="sandbox",
        )
        assert lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 1000
        assert lam.list_functions()["Functions"] == []
        time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    lines = [line for line in err.splitlines() if "/2015-03-31/functions" in line or "account-settings" in line]
    assert len(lines) == 2 and all("lambda" in line and "us-east-1" in line and "-> 200" in line for line in lines)
    assert "sandbox stopped" in err and "Traceback" not in err
    assert "AKIDSANDBOXTEST" not in err + out and "sandbox-secret" not in err + out


def test_a_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "validate_tasks.py", "sandbox", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"validate-tasks: cannot listen on 127.0.0.1:{port} (Address already in use): pass another --port"
    ]


def test_the_request_log_names_query_protocol_actions_such_as_iam() -> None:
    """IAM, STS and the like send their action in a form body: the log names it (and the body still arrives)."""
    import io

    from checks.standin.sandbox import RequestLog

    seen: dict[str, bytes] = {}

    def app(environ: dict, start_response: object) -> list[bytes]:
        seen["body"] = environ["wsgi.input"].read()
        start_response("200 OK", [])  # type: ignore[operator]
        return [b""]

    body = b"Action=CreateRole&RoleName=lambda-medium-role-s1&Version=2010-05-08"
    log = io.StringIO()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=AKIDX/20261129/us-east-1/iam/aws4_request, Signature=abc",
    }
    RequestLog(app, log)(environ, lambda *a: None)
    assert seen["body"] == body
    line = log.getvalue()
    assert " iam " in line and "us-east-1" in line and "POST   CreateRole -> 200" in line
    assert "AKIDX" not in line and "abc" not in line


def test_aws_cli_v1_gets_the_wrapper_that_sends_every_call_to_the_sandbox() -> None:
    from checks.standin.sandbox import cli_v1_advice

    advice = cli_v1_advice("aws-cli/1.32.84 Python/3.11.7 Linux/6.1 botocore/1.34.84")
    assert advice is not None and "aws-cli/1.32.84" in advice
    wrapper = advice.splitlines()[-1]
    assert wrapper == 'aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }'
    assert subprocess.run(["bash", "-n"], input=wrapper, text=True).returncode == 0
    assert cli_v1_advice("aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64") is None
    assert cli_v1_advice("") is None


def _guarded_sandbox() -> tuple[Any, str, io.StringIO]:
    from checks.standin.sandbox import make_server

    log = io.StringIO()
    server = make_server(0, log, managed_policies=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", log


def _lambda(endpoint: str, key: str = "sandbox") -> Any:
    return boto3.client(
        "lambda", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=key
    )


def test_the_sandbox_serves_the_cli_s_requests_and_refuses_web_pages_and_strangers() -> None:
    """A web page (an Origin, a rebinding Host), an unsigned request or another key changes nothing."""
    import urllib.error
    import urllib.request

    from botocore.exceptions import ClientError

    server, endpoint, log = _guarded_sandbox()
    try:
        assert _lambda(endpoint).list_functions()["Functions"] == []  # the AWS CLI's key: served
        with pytest.raises(ClientError) as refused:
            _lambda(endpoint, key="AKIAOTHERKEY").list_functions()
        assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
        attempts = [
            ("POST", "/2015-03-31/functions", {"Origin": "https://evil.example"}),  # a page's fetch
            ("OPTIONS", "/2015-03-31/functions", {"Origin": "https://evil.example"}),  # its CORS preflight
            ("GET", "/2015-03-31/functions", {"Host": "rebound.evil.example:4566"}),  # DNS rebinding
            ("POST", "/moto-api/reset", {}),  # moto's own dashboard, unsigned
        ]
        for method, path, headers in attempts:
            request = urllib.request.Request(endpoint + path, data=b"{}", method=method, headers=headers)
            with pytest.raises(urllib.error.HTTPError) as answer:
                urllib.request.urlopen(request, timeout=10)
            assert answer.value.code == 403, (method, path, headers)
        assert log.getvalue().count("refused") == len(attempts) + 1
    finally:
        server.shutdown()
        server.server_close()


def test_keys_the_sandbox_gave_out_sign_as_the_account_they_were_given_for() -> None:
    """``aws sts assume-role`` in the sandbox, then its keys exported: served, as the role's account (a class of
    one account per student practises so); a key it never gave out is still refused."""
    from botocore.exceptions import ClientError

    server, endpoint, _ = _guarded_sandbox()
    try:
        sts = boto3.client(
            "sts",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="sandbox",
            aws_secret_access_key="x",
        )
        given = sts.assume_role(RoleArn="arn:aws:iam::210987654321:role/grader", RoleSessionName="practice")
        keys = given["Credentials"]
        as_role = boto3.client(
            "sts",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys["SessionToken"],
        )
        assert as_role.get_caller_identity()["Account"] == "210987654321"
        with pytest.raises(ClientError) as refused:
            _lambda(endpoint, key="ASIA" + keys["AccessKeyId"][4:-1] + "Z").list_functions()
        assert refused.value.response["Error"]["Code"] == "UnrecognizedClientException"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("service", ["sts", "iam", "ec2", "sqs", "cloudwatch", "lambda", "application-autoscaling"])
def test_another_key_is_refused_in_each_services_own_protocol(service: str) -> None:
    """Real keys in the shell: every SDK reads the refusal as AWS's own (its code and why), never a parse error."""
    from botocore.exceptions import ClientError

    calls = {
        "sts": lambda c: c.get_caller_identity(),
        "iam": lambda c: c.list_roles(),
        "ec2": lambda c: c.describe_regions(),
        "sqs": lambda c: c.list_queues(),
        "cloudwatch": lambda c: c.describe_alarms(),
        "lambda": lambda c: c.list_functions(),
        "application-autoscaling": lambda c: c.describe_scalable_targets(ServiceNamespace="lambda"),
    }
    server, endpoint, _ = _guarded_sandbox()
    try:
        client = boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id="AKIAREALKEYEXAMPLE",
            aws_secret_access_key="x",
        )
        with pytest.raises(ClientError) as refused:
            calls[service](client)
        error = refused.value.response["Error"]
        assert error["Code"] in ("InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure"), error
        assert "export AWS_ACCESS_KEY_ID=sandbox" in error["Message"], error
    finally:
        server.shutdown()
        server.server_close()


def test_the_grader_says_in_one_line_which_key_the_sandbox_serves(capsys: pytest.CaptureFixture[str]) -> None:
    from checks.cli import main

    server, endpoint, _ = _guarded_sandbox()
    try:
        argv = ["lambda_medium", "--student-id", "s1", "--region", "us-east-1", "--endpoint-url", endpoint]
        assert main(argv) == 3
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ResponseParserError" not in err
    assert "export AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox" in err
