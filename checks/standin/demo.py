"""``--demo``: a built-in practice account, held by the AWS stand-in in this process.

moto (with :mod:`checks.standin.gap_fills`) plays AWS; the assessment's ``demo`` deploys
into it for the student (typically its reference solution with a few typical mistakes,
so the report shows passes, a partial task and hints). Nothing leaves the process.
"""

from __future__ import annotations

import os

from checks.aws import Account, new_session
from checks.errors import BadInput
from checks.registry import Assessment

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

    from checks.standin import gap_fills as moto_gaps

    moto_gaps.install()
    mock = mock_aws()
    mock.start()
    _started.append(mock)


def stop_stand_in() -> None:
    """Stop the in-process stand-in (the process's end does it too)."""
    while _started:
        _started.pop().stop()  # type: ignore[attr-defined]


def demo_account(assessment: Assessment, student_id: str, readers: type[Account] = Account) -> Account:
    """The assessment's demo account (its ``demo``: a deployment into the stand-in) for one student."""
    if assessment.demo is None:
        raise BadInput(f"{assessment.name} has no demo account")
    stop_stand_in()  # each demo grade starts from the same account, however often it runs in a process
    start_stand_in()
    session = new_session(aws_access_key_id="demo", aws_secret_access_key="demo", region_name=DEMO_REGION)
    assessment.demo(student_id, DEMO_REGION, session)
    return readers(session, DEMO_REGION)
