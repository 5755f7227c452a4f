"""``cleanup``: the block that removes exactly one student's resources, run as a student runs it.

Three students in one stand-in account: s1 complete, s2 half done, and s10 whose ID starts like s1's.
s1's block is pasted into bash, where the real AWS CLI runs it against the sandbox: nothing of s1's is
left, nothing of anyone else's is touched, and pasting it again is harmless.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from checks.assessments.lambda_medium import reference
from checks.aws import new_session
from checks.cli import main
from tests.conftest import REGION
from tests.test_hint_replay import student_shell  # noqa: F401  (the fixture)
from tests.test_readme_replay import sandbox  # noqa: F401  (the fixture)


def _holdings(endpoint: str, sid: str) -> dict[str, Any]:
    """Everything of one student's the assessment makes, as the account lists it."""
    session = new_session(region_name=REGION, aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    lam = session.client("lambda", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    cw = session.client("cloudwatch", endpoint_url=endpoint)
    iam = session.client("iam", endpoint_url=endpoint)
    scaling = session.client("application-autoscaling", endpoint_url=endpoint)
    mine = f"-{sid}"
    return {
        "functions": sorted(
            f["FunctionName"] for f in lam.list_functions()["Functions"] if f["FunctionName"].endswith(mine)
        ),
        "layers": sorted(x["LayerName"] for x in lam.list_layers()["Layers"] if x["LayerName"].endswith(mine)),
        "queues": sorted(u for u in sqs.list_queues().get("QueueUrls", []) if u.endswith(mine)),
        "alarms": sorted(a["AlarmName"] for a in cw.describe_alarms()["MetricAlarms"] if a["AlarmName"].endswith(mine)),
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].endswith(mine)),
        "targets": sorted(
            t["ResourceId"]
            for t in scaling.describe_scalable_targets(ServiceNamespace="lambda")["ScalableTargets"]
            if t["ResourceId"].split(":")[1].endswith(mine)
        ),
    }


@pytest.mark.slow
@pytest.mark.server
def test_one_students_block_removes_exactly_their_work(
    aws: None,
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    student_shell: Callable[[str], None],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint, _ = sandbox
    session = new_session(region_name=REGION, aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    for sid in ("s1", "s2", "s10"):  # in process: the sandbox serves the same stand-in
        reference.deploy(sid, REGION)
    cw = session.client("cloudwatch", endpoint_url=endpoint)
    cw.delete_alarms(AlarmNames=[f"Lambda-{label}-s2" for label in ("HighErrorRate", "HighDuration", "Throttles")])
    before = {sid: _holdings(endpoint, sid) for sid in ("s1", "s2", "s10")}
    assert all(before["s1"].values()) and before["s2"]["alarms"] == []  # complete, and half done

    code = main(["cleanup", "lambda_medium", "--student-id", "s1", "--endpoint-url", endpoint, "--region", REGION])
    block = capsys.readouterr().out
    assert code == 0, block
    assert "provisioned concurrency (2 × 256 MB)" in block and "$5.40" in block  # what bills, a month
    assert "-s10" not in block and "-s2" not in block  # a classmate's, and a look-alike ID's, never named
    args = ["cleanup", "lambda_medium", "--student-id", "s1", "--endpoint-url", endpoint, "--region", REGION]
    assert main([*args, "--format", "json"]) == 0  # the same, as data: the resources and their commands
    [student] = json.loads(capsys.readouterr().out)["students"]
    kinds = [r["kind"] for r in student["resources"]]
    assert kinds.index("scaling policy") < kinds.index("alias") < kinds.index("function (and its versions)")
    assert kinds.index("function (and its versions)") < kinds.index("layer version") < kinds.index("execution role")
    assert all(r["command"].startswith("aws ") for r in student["resources"])
    assert student["monthly_usd"] == pytest.approx(5.40 + 0.30, abs=0.01)  # provisioned concurrency, three alarms
    student_shell(block)

    after = {sid: _holdings(endpoint, sid) for sid in ("s1", "s2", "s10")}
    assert after["s1"] == {kind: [] for kind in before["s1"]}, after["s1"]
    assert after["s2"] == before["s2"] and after["s10"] == before["s10"]

    main(["cleanup", "lambda_medium", "--student-id", "s1", "--endpoint-url", endpoint, "--region", REGION])
    again = capsys.readouterr().out
    assert again.strip() == "# Nothing of s1's is in this account: nothing to remove."
    # The first block pasted a second time: AWS answers that each thing is gone, and nothing else changes.
    student_shell(block + "true\n")
    assert {sid: _holdings(endpoint, sid) for sid in ("s2", "s10")} == {"s2": before["s2"], "s10": before["s10"]}


def test_a_teardown_names_only_the_students_own_resources_in_memory() -> None:
    """s1 and s10 in one account (held in memory): s1's teardown never names s10's, and the reverse."""
    from checks.assessments.lambda_medium.teardown import teardown
    from tests.world import reference_world, student_of

    world = reference_world()
    reference_world("s10", world)
    for sid, other in (("s1", "s10"), ("s10", "s1")):
        removals = teardown(student_of(world, sid, classmates=("s1", "s10")))
        named = " ".join(f"{r.name} {r.fix.render()}" for r in removals)
        assert f"-{sid}" in named and not re.search(rf"-{other}\b", named), named
        kinds = [r.kind for r in removals]
        assert kinds.index("alias") < kinds.index("function (and its versions)") < kinds.index("queue")


def _removed(world: object, sid: str = "s1") -> dict[str, list[str]]:
    from checks.assessments.lambda_medium.teardown import teardown
    from tests.world import student_of

    found: dict[str, list[str]] = {}
    for r in teardown(student_of(world, sid)):  # type: ignore[arg-type]
        found.setdefault(r.kind, []).append(r.name)
    return found


def test_the_role_stays_while_a_function_in_another_region_uses_it() -> None:
    """IAM is global: layer-consumer-s1 in eu-west-1 still uses lambda-medium-role-s1."""
    from tests.world import reference_world

    world = reference_world()
    role = next(iter(world.functions.values()))["Role"]
    assert "execution role" in _removed(world)
    world.elsewhere["eu-west-1"] = ["layer-consumer-s1"]
    world.elsewhere_roles["layer-consumer-s1"] = role
    assert "execution role" not in _removed(world)
    assert "function (and its versions)" in _removed(world)  # this region's work still goes


def test_an_alarm_is_the_students_by_its_name_too() -> None:
    """A classmate's alarm, or an instructor's guard, on s1's function is not s1's to delete."""
    from tests.world import reference_world

    world = reference_world()
    world.add_alarm("Lambda-HighErrorRate-s10", "Errors", "layer-consumer-s1")
    world.add_alarm("course-guard-errors", "Errors", "layer-consumer-s1")
    alarms = _removed(world)["alarm"]
    assert alarms and all(name.endswith("-s1") for name in alarms), alarms
    assert "Lambda-HighErrorRate-s10" not in alarms and "course-guard-errors" not in alarms


def test_the_network_a_fix_made_is_tagged_and_removed_when_nothing_uses_it() -> None:
    """Task 3's fix tags the VPC and subnets it makes with the student's ID; cleanup removes them, unless another
    function is in that VPC."""
    from checks.assessments.lambda_medium.task03_vpc import MADE_FOR, _network
    from tests.world import reference_world, student_of

    world = reference_world()
    made = _network(student_of(world)).render()
    assert made.count(f"Key={MADE_FOR},Value=s1") == 3  # the VPC and both subnets
    world.vpcs.append({"VpcId": "vpc-made1", "Tags": [{"Key": MADE_FOR, "Value": "s1"}]})
    world.vpcs.append({"VpcId": "vpc-s10", "Tags": [{"Key": MADE_FOR, "Value": "s10"}]})
    world.subnets["subnet-made1"] = {"SubnetId": "subnet-made1", "VpcId": "vpc-made1", "AvailabilityZone": "a"}
    removed = _removed(world)
    assert removed["VPC"] == ["vpc-made1"] and removed["subnet"] == ["subnet-made1"]
    world.functions["someone-else"] = {"FunctionName": "someone-else", "VpcConfig": {"VpcId": "vpc-made1"}}
    assert "VPC" not in _removed(world)


def test_cleanup_of_a_roster_with_a_bad_row_cleans_up_everyone_else_and_names_it(
    aws: None, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    reference.deploy("s1", REGION)
    roster = folder / "class.csv"
    roster.write_text("student_id\ns1\nnot an id!\n")
    code = main(["cleanup", "lambda_medium", "--roster", str(roster), "--region", REGION])
    out, err = capsys.readouterr()
    assert code == 2
    assert "layer-consumer-s1" in out  # everyone else's block
    assert err.strip().splitlines()[-1].startswith(f"validate-tasks: {roster}:3: ")
    assert err.strip().endswith("; not cleaned up")
