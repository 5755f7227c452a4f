"""README_lambda_medium.md runs as written: every bash block, in order, with the real AWS CLI
against the sandbox, grades 120/120; its cleanup function then empties the account.

Only the student's three variables are given. Two stand-ins keep the run on loopback:
`aws` is the real AWS CLI (the awscli package) told the sandbox's address with
`--endpoint-url` (AWS CLI v1 ignores AWS_ENDPOINT_URL for SQS), and `pip3` stands in for
PyPI in Task 1's dependency install.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)

PIP_STAND_IN = """#!/bin/sh
# Stand-in for PyPI: records the request, installs a marker instead of downloading.
target=""
while [ $# -gt 0 ]; do
  case "$1" in -t|--target) target="$2"; shift ;; esac
  shift
done
mkdir -p "$target" && echo "installed by the test's pip stand-in" > "$target/STAND_IN.txt"
"""


def bash_blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README_lambda_medium.md").read_text(encoding="utf-8"))


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, io.StringIO]]:
    from moto.core.base_backend import BackendDict
    from moto.core.config import default_user_config

    from checks.standin.sandbox import KEY, make_server

    BackendDict.reset()  # a stand-in of its own: nothing left by a test before on this worker

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)  # what it prints: the only key it serves
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", KEY)

    before = default_user_config["iam"]["load_aws_managed_policies"]
    log = io.StringIO()
    server = make_server(0, log, managed_policies=False)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # stops within 50 ms
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", log
    server.shutdown()
    server.server_close()
    default_user_config["iam"]["load_aws_managed_policies"] = before
    import urllib.request  # noqa: F401  (state is reset by the next mock_aws)


def test_the_text_has_the_blocks_of_every_task() -> None:
    text = "\n".join(bash_blocks())
    for needed in (
        "publish-layer-version",
        "create-vpc",
        "put-function-event-invoke-config",
        "create-event-source-mapping",
        "--dead-letter-config",
        "put-function-concurrency",
        "LambdaInsightsExtension",
        "create-alias",
        "put-provisioned-concurrency-config",
        "register-scalable-target",
        "add-permission",
        "put-metric-alarm",
        "cleanup_lambda_medium()",
    ):
        assert needed in text, needed
    assert "ProvisionedConcurrentExecutions \\" not in text  # erratum 1 stays corrected
    # No mis-decoded UTF-8, but where erratum 8 quotes it.
    lines = (ROOT / "README_lambda_medium.md").read_text(encoding="utf-8").splitlines()
    assert [line[:5] for line in lines if "â" in line or "ð" in line] == ["| 8 |"]


@pytest.mark.slow
@pytest.mark.server
def test_every_bash_block_runs_in_order_and_grades_full_marks(
    sandbox: tuple[str, io.StringIO], aws_cli: Path, tmp_path: Path
) -> None:
    from tests.aws_cli_server import CLIENT

    endpoint, log = sandbox
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "aws").write_text(CLIENT.format(python=sys.executable, path=str(aws_cli)))
    (tools / "pip3").write_text(PIP_STAND_IN)
    for tool in tools.iterdir():
        tool.chmod(0o755)
    work = tmp_path / "student"
    work.mkdir()
    (work / "validate_tasks.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom checks.cli import main\nsys.exit(main())\n"
    )
    script = "\n".join(
        [
            "set -euo pipefail",
            *bash_blocks(),
            'python validate_tasks.py lambda_medium --format json --output "$OUT/graded.json"',
            "cleanup_lambda_medium",
            'python validate_tasks.py lambda_medium --format json --output "$OUT/cleaned.json" || test $? -eq 1',
        ]
    )
    env = {
        "PATH": f"{tools}:{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "STUDENT_ID": "s1",
        "AWS_REGION": "us-east-1",
        "TRUSTED_ACCOUNT_ID": "999988887777",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "OUT": str(tmp_path),
        "NO_COLOR": "1",
    }
    done = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{done.stderr[-3000:]}\n--- sandbox log ---\n{log.getvalue()[-3000:]}"
    assert "Score: 120/120" in done.stdout  # the Validation block's own table

    graded = json.loads((tmp_path / "graded.json").read_text())
    not_passed = {c["id"]: c["message"] for t in graded["tasks"] for c in t["checks"] if c["status"] != "pass"}
    assert not_passed == {}
    assert graded["score"] == {"earned": 120, "possible": 120, "percent": 100.0}
    assert [n for t in graded["tasks"] for n in t["notes"]] == []

    cleaned = json.loads((tmp_path / "cleaned.json").read_text())
    assert cleaned["score"]["earned"] == 0
    assert "sandbox" not in log.getvalue()  # the request log never shows a credential
    assert os.path.exists(work / "lambda-medium-build" / "lambda-layer" / "layer.zip")
