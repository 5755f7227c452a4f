"""The fixes the report prints, run as a student runs them: the real AWS CLI against the sandbox.

The cases below are the loops students met: Task 4's configuration that one fix per setting
kept undoing, an alarm count that never rose, aliases created when they existed, a canary
weighted on $LATEST, versions and layers that did not exist yet. ``tests/test_hint_catalogue.py``
runs them, with a mistake for every check id; this file keeps them, the student's shell, and
the table's "How to fix" block pasted whole into bash.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.assessments.lambda_medium import reference
from checks.aws import new_session
from checks.cli import main
from tests.conftest import REGION
from tests.test_readme_replay import BIN, sandbox  # noqa: F401  (the sandbox fixture)

pytestmark = [pytest.mark.slow, pytest.mark.server]

FIX = re.compile(r"^Fix: (.*)$", re.M)


class Clients:
    def __init__(self, endpoint: str, sid: str) -> None:
        from checks.standin.sandbox import KEY  # a student's own calls to the sandbox sign with the key it printed

        session = new_session(region_name=REGION, aws_access_key_id=KEY, aws_secret_access_key=KEY)
        self.sid = sid
        self.lam = session.client("lambda", endpoint_url=endpoint)
        self.cw = session.client("cloudwatch", endpoint_url=endpoint)
        self.sqs = session.client("sqs", endpoint_url=endpoint)
        self.iam = session.client("iam", endpoint_url=endpoint)

    def change(self, prefix: str, **settings: Any) -> None:
        """UpdateFunctionConfiguration once the function is settled (AWS refuses a change while one is under way)."""
        name = f"{prefix}-{self.sid}"
        reference.settled(self.lam, name)
        self.lam.update_function_configuration(FunctionName=name, **settings)

    def unmap(self, function_prefix: str) -> None:
        for mapping in self.lam.list_event_source_mappings(FunctionName=f"{function_prefix}-{self.sid}")[
            "EventSourceMappings"
        ]:
            self.lam.delete_event_source_mapping(UUID=mapping["UUID"])

    def queue_arn(self, prefix: str) -> str:
        url = self.sqs.get_queue_url(QueueName=f"{prefix}-{self.sid}")["QueueUrl"]
        return str(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _invoke_config_all_wrong(c: Clients) -> None:
    c.lam.put_function_event_invoke_config(
        FunctionName=f"async-processor-{c.sid}", MaximumEventAgeInSeconds=3600, MaximumRetryAttempts=0
    )


def _one_alarm_left(c: Clients) -> None:
    c.cw.delete_alarms(AlarmNames=[f"Lambda-HighDuration-{c.sid}", f"Lambda-Throttles-{c.sid}"])


def _errors_alarm_on_invocations(c: Clients) -> None:
    c.cw.put_metric_alarm(
        AlarmName=f"Lambda-HighErrorRate-{c.sid}",
        MetricName="Invocations",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "FunctionName", "Value": f"layer-consumer-{c.sid}"}],
    )


def _errors_name_on_duration(c: Clients) -> None:
    """The text's Errors alarm name, on Duration: a fix reusing the name would take Duration's alarm away."""
    c.cw.delete_alarms(AlarmNames=[f"Lambda-HighDuration-{c.sid}"])
    c.cw.put_metric_alarm(
        AlarmName=f"Lambda-HighErrorRate-{c.sid}",
        MetricName="Duration",
        Namespace="AWS/Lambda",
        Statistic="Average",
        Period=300,
        EvaluationPeriods=1,
        Threshold=25000,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": "FunctionName", "Value": f"layer-consumer-{c.sid}"}],
    )


def _prod_on_latest(c: Clients) -> None:
    c.lam.update_alias(
        FunctionName=f"layer-consumer-{c.sid}",
        Name="PROD",
        FunctionVersion="$LATEST",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )


def _no_versions(c: Clients) -> None:
    name = f"layer-consumer-{c.sid}"
    c.lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="PROD")
    for alias in ("PROD", "STAGING"):
        c.lam.delete_alias(FunctionName=name, Name=alias)
    for version in ("1", "2"):
        c.lam.delete_function(FunctionName=name, Qualifier=version)


def _mapping_disabled_and_unbatched(c: Clients) -> None:
    arn = c.queue_arn("task-queue")
    uuid = c.lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"][0]["UUID"]
    c.lam.update_event_source_mapping(UUID=uuid, Enabled=False, BatchSize=5, FunctionResponseTypes=[])


def _role_as_the_text_leaves_it(c: Clients) -> None:
    """The original text's role (logs only: no SQS, ENI or send rights, erratum 5), the steps that needed them
    undone: AWS refuses the trigger, DLQ and VPC fixes until the role is granted what they need."""
    logs = {
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    }
    role = f"lambda-medium-role-{c.sid}"
    destinations = {
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": [c.queue_arn("lambda-success-queue"), c.queue_arn("lambda-failure-queue")],
    }  # Task 4's, which the text grants: the DLQ's is what is missing
    for name, statement in (("lambda-medium", logs), ("send-to-destinations", destinations)):
        document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        c.iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    c.unmap("sqs-consumer")
    c.unmap("dlq-processor")
    c.change("async-processor", DeadLetterConfig={"TargetArn": ""})
    c.change("vpc-lambda", VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})


def _slower_than_the_queues(c: Clients) -> None:
    """Processors whose Timeout exceeds their queue's visibility timeout, their triggers gone: AWS refuses a
    trigger until the queue waits at least as long (the DLQ's is raised; the task queue's is the rubric's 300 s,
    so the function's Timeout comes down instead)."""
    c.unmap("sqs-consumer")
    c.unmap("dlq-processor")
    c.change("sqs-consumer", Timeout=400)
    c.change("dlq-processor", Timeout=60)


def _own_account_under_the_text_s_statement(c: Clients) -> None:
    """Task 11 done with the graded account itself, under the text's statement ID."""
    name = f"layer-consumer-{c.sid}"
    c.lam.remove_permission(FunctionName=name, StatementId="AllowCrossAccountInvoke")
    c.lam.add_permission(
        FunctionName=name,
        StatementId="AllowCrossAccountInvoke",
        Action="lambda:InvokeFunction",
        Principal="123456789012",
    )


def _layer_version_deleted_while_attached(c: Clients) -> None:
    """The student's only layer version deleted while layer-consumer still has it, and the Insights layer gone:
    a layers fix that kept the deleted version would be refused."""
    layer = f"common-utils-layer-{c.sid}"
    mine = c.lam.list_layer_versions(LayerName=layer)["LayerVersions"][0]["LayerVersionArn"]
    c.change("layer-consumer", Layers=[mine])
    c.lam.delete_layer_version(LayerName=layer, VersionNumber=int(mine.rsplit(":", 1)[1]))


def _public_under_the_text_s_statement(c: Clients) -> None:
    """Everyone may invoke, under the text's statement ID, and no one else is named: the trusted-account grant
    and the removal of the public one touch the same policy, and pasted whole neither undoes the other."""
    name = f"layer-consumer-{c.sid}"
    c.lam.remove_permission(FunctionName=name, StatementId="AllowCrossAccountInvoke")
    c.lam.add_permission(
        FunctionName=name, StatementId="AllowCrossAccountInvoke", Action="lambda:InvokeFunction", Principal="*"
    )


def _grant_only_a_service_can_use(c: Clients) -> None:
    """The trusted account named, but only with aws:SourceAccount, which a direct invoke never carries."""
    name = f"layer-consumer-{c.sid}"
    c.lam.remove_permission(FunctionName=name, StatementId="AllowCrossAccountInvoke")
    c.lam.add_permission(
        FunctionName=name,
        StatementId="AllowCrossAccountInvoke",
        Action="lambda:InvokeFunction",
        Principal=reference.TRUSTED_ACCOUNT,
        SourceAccount=reference.TRUSTED_ACCOUNT,
    )


def _prod_on_latest_without_provisioning(c: Clients) -> None:
    """PROD moved to $LATEST and its provisioned concurrency gone: AWS refuses provisioned concurrency on an
    alias of $LATEST, so the fix points PROD at a published version first."""
    name = f"layer-consumer-{c.sid}"
    c.lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="PROD")
    _prod_on_latest(c)


CASES: dict[str, tuple[Callable[[Clients], None], set[str]]] = {
    "a public grant under the text's statement ID": (
        _public_under_the_text_s_statement,
        {"t11.cross_account", "t11.not_public"},
    ),
    "a grant only a service can use": (_grant_only_a_service_can_use, {"t11.cross_account"}),
    "PROD on $LATEST without provisioned concurrency": (
        _prod_on_latest_without_provisioning,
        {"t9.prod", "t9.canary", "t10.provisioned"},
    ),
    "the role as the text leaves it, triggers, DLQ and VPC undone": (
        _role_as_the_text_leaves_it,
        {
            "t3.in_vpc",
            "t3.multi_az",
            "t3.security_group",
            "t3.env_vars",
            "t5.mapping",
            "t5.batching",
            "t5.partial_failures",
            "t6.attached",
            "t6.processor_trigger",
        },
    ),
    "processors slower than their queues' visibility timeout": (
        _slower_than_the_queues,
        {"t5.mapping", "t5.batching", "t5.partial_failures", "t6.processor_trigger"},
    ),
    "Task 11 done with the graded account under the text's statement ID": (
        _own_account_under_the_text_s_statement,
        {"t11.cross_account"},
    ),
    "a layer version deleted while still attached": (
        _layer_version_deleted_while_attached,
        {"t1.layer_exists", "t1.runtime", "t1.description", "t8.layer", "t8.role_policy"},
    ),
    "task 4's configuration, every setting wrong": (
        _invoke_config_all_wrong,
        {"t4.max_event_age", "t4.retry_attempts", "t4.on_success", "t4.on_failure"},
    ),
    "one alarm left of three": (_one_alarm_left, {"t12.count", "t12.duration", "t12.throttles"}),
    "the errors alarm's name taken by an alarm on another metric": (
        _errors_alarm_on_invocations,
        {"t12.errors"},
    ),
    "the errors alarm's name on the Duration alarm": (_errors_name_on_duration, {"t12.count", "t12.errors"}),
    "STAGING on a version": (
        lambda c: c.lam.update_alias(FunctionName=f"layer-consumer-{c.sid}", Name="STAGING", FunctionVersion="1"),
        {"t9.staging"},
    ),
    "no versions nor aliases": (
        _no_versions,
        {
            "t9.version",
            "t9.prod",
            "t9.staging",
            "t9.canary",
            "t10.provisioned",
            "t10.scalable_target",
            "t10.scaling_policy",
        },
    ),
    "a weight of 0.2": (
        lambda c: c.lam.update_alias(
            FunctionName=f"layer-consumer-{c.sid}", Name="PROD", RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}}
        ),
        {"t9.canary"},
    ),
    "the mapping disabled and unbatched": (
        _mapping_disabled_and_unbatched,
        {"t5.mapping", "t5.batching", "t5.partial_failures"},
    ),
    "the layer-consumer without the student's layer": (
        lambda c: c.change("layer-consumer", Layers=[reference.insights_layer_arn(REGION)]),
        {"t2.uses_layer"},
    ),
    "no Insights layer": (
        lambda c: c.change(
            "layer-consumer",
            Layers=[
                c.lam.list_layer_versions(LayerName=f"common-utils-layer-{c.sid}")["LayerVersions"][0][
                    "LayerVersionArn"
                ]
            ],
        ),
        {"t8.layer", "t8.role_policy"},
    ),
}


@pytest.fixture
def student_shell(
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    aws_cli: Path,
    tmp_path: Path,
) -> Iterator[Callable[[str], None]]:
    """Runs a printed fix as a student would: bash and the AWS CLI (the fixes zip the code they deploy)."""
    from tests.aws_cli_server import CLIENT

    endpoint, _ = sandbox
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "aws").write_text(CLIENT.format(python=sys.executable, path=str(aws_cli)))
    (tools / "aws").chmod(0o755)
    (tools / "python3").symlink_to(sys.executable)  # the fixes zip the text's code with it
    # The stand-in has no IAM to wait on: a new role is usable at once, so a fix's sleep for it need not wait.
    (tools / "sleep").write_text("#!/bin/sh\nexit 0\n")
    (tools / "sleep").chmod(0o755)
    env = {
        "PATH": f"{tools}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "sandbox",
        "AWS_SECRET_ACCESS_KEY": "sandbox",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }

    def run(command: str) -> None:
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"

    yield run


def _grade(capsys: pytest.CaptureFixture[str], endpoint: str, sid: str) -> dict[str, dict[str, Any]]:
    main(["lambda_medium", "--student-id", sid, "--format", "json", "--endpoint-url", endpoint])
    report = json.loads(capsys.readouterr().out)
    return {c["id"]: c for t in report["tasks"] for c in t["checks"]}


def test_the_how_to_fix_block_pasted_into_bash_reaches_full_marks(
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    student_shell: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The table's "How to fix" block, selected whole from the terminal and pasted into bash."""
    endpoint, _ = sandbox
    sid = "paste1"
    reference.deploy(sid, REGION, endpoint_url=endpoint, session=new_session(region_name=REGION))
    c = Clients(endpoint, sid)
    c.change("layer-consumer", MemorySize=128)
    c.change("rate-limited-function", Timeout=3)
    _invoke_config_all_wrong(c)  # Task 4's configuration, set wrong whole
    c.cw.delete_alarms(AlarmNames=[f"Lambda-Throttles-{sid}"])
    main(["lambda_medium", "--student-id", sid, "--format", "table", "--endpoint-url", endpoint])
    table = capsys.readouterr().out
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# How to fix"))
    block = "\n".join(lines[start + 1 : lines.index("", start)]) + "\n"
    assert sum(line.startswith("aws ") for line in block.splitlines()) == 4, block
    student_shell(block)
    checks = _grade(capsys, endpoint, sid)
    assert {i: c["message"] for i, c in checks.items() if c["status"] != "pass"} == {}


ALONE = [  # states whose checks' fixes touch the same resource: their JSON fixes, one check at a time
    "a public grant under the text's statement ID",
    "PROD on $LATEST without provisioned concurrency",
]


@pytest.mark.parametrize("case", ALONE)
def test_each_checks_json_fix_alone_in_every_order_reaches_the_same(
    sandbox: tuple[str, io.StringIO],  # noqa: F811
    student_shell: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
    case: str,
) -> None:
    """A script that runs each failing check's ``Fix:`` lines from the JSON report, one check after the other,
    in the report's order and in the reverse one: each check passes and no fix undoes another, whichever
    comes first (for two checks, every order)."""
    endpoint, _ = sandbox
    breaks, expected = CASES[case]
    for n, order in enumerate((sorted(expected), sorted(expected, reverse=True))):
        sid = f"alone{n}"
        reference.deploy(sid, REGION, endpoint_url=endpoint, session=new_session(region_name=REGION))
        breaks(Clients(endpoint, sid))
        checks = _grade(capsys, endpoint, sid)
        assert {i for i, c in checks.items() if c["status"] != "pass"} == expected
        fixes = {i: [line[5:] for line in checks[i]["hint"].splitlines() if line.startswith("Fix: ")] for i in expected}
        for check_id in order:
            assert fixes[check_id], check_id
            for line in fixes[check_id]:
                student_shell(f"export TRUSTED_ACCOUNT_ID={TRUSTED_FOR_FIXES}\n{line}\n")
        after = _grade(capsys, endpoint, sid)
        assert {i: c["message"] for i, c in after.items() if c["status"] != "pass"} == {}, order


TRUSTED_FOR_FIXES = "111122223333"
