"""``--demo``: a built-in practice account, held by the AWS stand-in in this process.

moto (with :mod:`checks.moto_gaps`) plays AWS; the assessment's reference
solution is deployed into it for the student, with a few typical mistakes, so
the report shows passes, a partial task and hints. Nothing leaves the process.
"""

from __future__ import annotations

import importlib
import os

from checks.aws import Account, new_session
from checks.errors import BadInput

DEMO_REGION = "us-east-1"
_started: list[object] = []


def start_stand_in() -> None:
    """Start moto in-process (once), with dummy credentials and no configured endpoint."""
    if _started:
        return
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_")]:
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_DEFAULT_REGION=DEMO_REGION)
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # no check reads machine images
    from moto import mock_aws

    from checks import moto_gaps

    moto_gaps.install()
    mock = mock_aws()
    mock.start()
    _started.append(mock)


def stop_stand_in() -> None:
    """Stop the in-process stand-in (the process's end does it too)."""
    while _started:
        _started.pop().stop()  # type: ignore[attr-defined]


def demo_account(assessment: str, student_id: str) -> Account:
    try:
        reference = importlib.import_module(f"checks.{assessment}.reference")
    except ModuleNotFoundError as exc:
        if exc.name != f"checks.{assessment}.reference":  # a package the demo needs is missing: said as such
            raise
        raise BadInput(f"{assessment} has no demo account") from exc
    stop_stand_in()  # each demo grade starts from the same account, however often it runs in a process
    start_stand_in()
    session = new_session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=DEMO_REGION)
    reference.deploy_demo(student_id, DEMO_REGION, session=session)
    return Account(session, DEMO_REGION)
