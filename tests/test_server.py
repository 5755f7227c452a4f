"""Grading through a real HTTP endpoint (moto's server on loopback) gives the in-process verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from checks.assessments.lambda_medium import reference
from checks.aws import new_session
from checks.registry import Assessment
from tests.conftest import CACHE, REGION, ROOT, grade_in_process


@pytest.fixture
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    yield url
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    server.stop()


def _verdicts(report: dict[str, object]) -> list[tuple[str, str, int]]:
    return [(c["id"], c["status"], c["earned"]) for t in report["tasks"] for c in t["checks"]]  # type: ignore[attr-defined,index]


@pytest.mark.server
def test_grading_through_the_endpoint_matches_in_process(moto_server: str, lambda_medium: Assessment) -> None:
    session = new_session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    reference.deploy("s1", REGION, endpoint_url=moto_server, session=session)
    boto3.client("lambda", region_name=REGION, endpoint_url=moto_server).update_function_configuration(
        FunctionName="layer-consumer-s1", MemorySize=128
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "VALIDATE_TASKS_CACHE": CACHE,
    }
    done = subprocess.run(
        [
            sys.executable,
            "validate_tasks.py",
            "lambda_medium",
            "--student-id",
            "s1",
            "--endpoint-url",
            moto_server,
            "--format",
            "json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    over_http = json.loads(done.stdout)
    assert over_http["score"] == {"earned": 118, "possible": 120, "percent": 98.3}

    from moto import mock_aws

    with mock_aws():
        reference.deploy("s1", REGION)
        boto3.client("lambda", region_name=REGION).update_function_configuration(
            FunctionName="layer-consumer-s1", MemorySize=128
        )
        in_process, _ = grade_in_process(lambda_medium, "s1")
    assert _verdicts(over_http) == _verdicts(in_process.to_dict())
    assert over_http["score"] == in_process.to_dict()["score"]


def test_the_reference_never_deploys_to_a_real_endpoint() -> None:
    with pytest.raises(RuntimeError, match="only to the local stand-in"):
        reference.deploy("s1", REGION, endpoint_url="https://lambda.us-east-1.amazonaws.com")
    with pytest.raises(RuntimeError, match="only under moto"):
        reference.deploy("s1", REGION)
