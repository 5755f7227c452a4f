"""Names and fix commands shared by the lambda_medium task modules."""

from __future__ import annotations

from typing import Any

from checks.assessments.lambda_medium.text_code import FUNCTION_CODE, LAYER_UTILS, ROLE_POLICY
from checks.assessments.lambda_medium.view import Student
from checks.fix import Arg, Fix, aws, chain
from checks.kit import functions
from checks.kit.functions import (
    function_kind,
    grant_first,
    update_config,
    zipped,
)
from checks.kit.queues import create_queue, queue_kind, set_queue_attributes
from checks.model import Verdict, failed, passed
from checks.student import Kind

LAYER = "common-utils-layer"
LAYER_CONSUMER = "layer-consumer"
VPC_LAMBDA = "vpc-lambda"
ASYNC_PROCESSOR = "async-processor"
SQS_CONSUMER = "sqs-consumer"
DLQ_PROCESSOR = "dlq-processor"
RATE_LIMITED = "rate-limited-function"
FUNCTIONS = (LAYER_CONSUMER, VPC_LAMBDA, ASYNC_PROCESSOR, SQS_CONSUMER, DLQ_PROCESSOR, RATE_LIMITED)

SUCCESS_QUEUE = "lambda-success-queue"
FAILURE_QUEUE = "lambda-failure-queue"
TASK_QUEUE = "task-queue"
DLQ = "lambda-dlq"
SECURITY_GROUP = "lambda-sg"
RUNTIME = "python3.12"

# The check whose fix makes each resource: the checks that need it say so instead of repeating the fix.
OWNERS = {
    LAYER: "t1.layer_exists",
    LAYER_CONSUMER: "t2.function_exists",
    VPC_LAMBDA: "t3.function_exists",
    ASYNC_PROCESSOR: "t4.function_exists",
    SUCCESS_QUEUE: "t4.queues",
    FAILURE_QUEUE: "t4.queues",
    TASK_QUEUE: "t5.queue",
    SQS_CONSUMER: "t5.function_exists",
    DLQ: "t6.queue",
    DLQ_PROCESSOR: "t6.processor",
    RATE_LIMITED: "t7.function_exists",
    "LambdaInsightsExtension": "t8.layer",  # AWS's layer on one of the student's functions
}

# The AWS read actions behind each kind of look-up, for the checks' ``reads=``.
# Finding a resource by name reads the function list (its near misses, and other
# regions when none of the student's functions is in the graded one).
# A missing function's fix finds the role to give it (the student's other functions', or the text's).
FIND = functions.FIND
LAYERS = (*FIND, "lambda:ListLayers")
QUEUES = (*FIND, "sqs:ListQueues", "sqs:GetQueueAttributes")
ROLE = (*FIND, *functions.ROLE_READS)  # a function's role as IAM decides: its policies and its boundary
# A mapping's fix puts the role's SQS rights right first: it reads the role too.
MAPPINGS = (*QUEUES, *ROLE, "lambda:ListEventSourceMappings")
ALIASES = (*FIND, "lambda:ListAliases")
VERSIONS = (*ALIASES, "lambda:ListVersionsByFunction")  # aliases and the versions they may point to


# AWS's managed policies that grant what Lambda checks when a trigger or a VPC is saved.
SQS_EXECUTION_POLICY = "service-role/AWSLambdaSQSQueueExecutionRole"
VPC_ACCESS_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"
TRIGGER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface")


def settled_queue(s: Student, queue_prefix: str, fn: dict[str, Any], pinned: int | None) -> Fix | None:
    """AWS refuses an SQS trigger whose queue's VisibilityTimeout is below the function's Timeout: the queue's
    raised first, or, where the rubric pins the queue's value (``pinned``), the function's Timeout lowered."""
    url, attributes = s.queue(queue_prefix)
    visibility = int(attributes.get("VisibilityTimeout") or 30)
    timeout = int(fn.get("Timeout") or 3)
    if visibility >= timeout:
        return None
    if pinned is not None and pinned < timeout:
        lower = update_config(fn["FunctionName"], "--timeout", pinned).quiet()
        return lower.then(aws("lambda", "wait", "function-updated-v2", "--function-name", fn["FunctionName"]))
    return set_queue_attributes(url, {"VisibilityTimeout": max(timeout, pinned or 0)})


# An event source mapping in these states is live or on its way there (the rubric, t5.mapping).
LIVE_STATES = ("Enabled", "Creating", "Enabling", "Updating")


def publish_layer(s: Student) -> Fix:
    """A new version of the student's layer, as Task 1 asks: the text's python/utils.py, zipped by the fix."""
    zip_step, zip_file = zipped(LAYER_UTILS, "python/utils.py", "LAYER_ZIP")
    return zip_step.then(
        aws(
            "lambda",
            "publish-layer-version",
            "--layer-name",
            s.name(LAYER),
            "--description",
            "Common utilities and dependencies",
            "--zip-file",
            zip_file,
            "--compatible-runtimes",
            RUNTIME,
        )
    )


TEXT_ROLE = "lambda-medium-role"  # the text's execution role, lambda-medium-role-<id>


def execution_role(s: Student) -> tuple[str, Fix | None]:
    """The role a function to create gets: the one the student's other functions use, else the text's role,
    made first (as the text does, with its policy) when the account has neither."""
    return functions.execution_role(
        s, functions=FUNCTIONS, role=TEXT_ROLE, policy_name="lambda-medium", policy=ROLE_POLICY
    )


# Every setting the rubric checks on a function, given when a fix creates it: one fix makes it whole.
CREATED_WITH: dict[str, tuple[str | int, ...]] = {
    LAYER_CONSUMER: ("--memory-size", 256),  # t2.memory
    VPC_LAMBDA: ("--memory-size", 512),  # t3.memory
    ASYNC_PROCESSOR: ("--memory-size", 256),  # t4.memory
    SQS_CONSUMER: ("--memory-size", 256),  # t5.memory
    RATE_LIMITED: ("--timeout", 15),  # t7.timeout: above the handler's 10 s sleep
}


def create_function(s: Student, prefix: str) -> Fix:
    """A missing function, as the text makes it and as the rubric checks it: its code zipped by the fix, its role
    found or made first, and the settings later tasks check given at once."""
    role, make_role = execution_role(s)
    code = FUNCTION_CODE.get(prefix, FALLBACK_CODE)
    return functions.create_function(
        s.name(prefix),
        code=code,
        runtime=RUNTIME,
        role=role,
        make_role=make_role,
        settings=CREATED_WITH.get(prefix, ()),
    )


FALLBACK_CODE = "def lambda_handler(event, context):\n    return event\n"


def retention(s: Student, prefix: str, seconds: int) -> Verdict:
    url, attrs = s.queue(prefix, create_queue(s.name(prefix), {"MessageRetentionPeriod": seconds}))
    got = attrs.get("MessageRetentionPeriod")
    if got == str(seconds):
        return passed(f"{s.name(prefix)} MessageRetentionPeriod {got}")
    return failed(
        f"{s.name(prefix)} MessageRetentionPeriod {got} (want {seconds})",
        set_queue_attributes(url, {"MessageRetentionPeriod": seconds}),
    )


def sqs_trigger(
    s: Student,
    queue_prefix: str,
    function_prefix: str,
    settings: tuple[Arg, ...] = ("--batch-size", 10),
    pinned_visibility: int | None = None,
) -> tuple[Verdict, list[dict[str, object]]]:
    """Is there an enabled mapping from the queue to the function? The verdict and the mappings.

    ``settings`` are the mapping's flags the rubric wants, given with every fix that makes or enables it.
    The fix first puts right what AWS checks when it saves a mapping: the role's SQS rights, and the
    queue's visibility timeout against the function's timeout (``pinned_visibility``: the rubric's).
    """
    fn = s.function(function_prefix)
    # The queue's ARN and the account's mappings are independent: one round trip for both.
    queue_arn, _ = s.account.gather(lambda: s.queue_arn(queue_prefix), s.account.event_source_mappings)
    mappings = s.mappings(queue_arn, fn["FunctionArn"])
    live = [m for m in mappings if m.get("State") in LIVE_STATES]
    if live:
        return passed(f"mapping {live[0].get('UUID')} from {s.name(queue_prefix)}, {live[0].get('State')}"), live
    first = [
        grant_first(s, fn, TRIGGER_ACTIONS, queue_arn, managed=SQS_EXECUTION_POLICY),
        settled_queue(s, queue_prefix, fn, pinned_visibility),
    ]
    if mappings:
        m = mappings[0]
        enable = aws("lambda", "update-event-source-mapping", "--uuid", str(m.get("UUID")), "--enabled", *settings)
        return failed(f"mapping {m.get('UUID')} is {m.get('State')} (want Enabled)", chain([*first, enable])), []
    create = aws(
        "lambda",
        "create-event-source-mapping",
        "--function-name",
        fn["FunctionName"],
        "--event-source-arn",
        queue_arn,
        *settings,
    )
    return failed(
        f"no event source mapping from {s.name(queue_prefix)} to {fn['FunctionName']}", chain([*first, create])
    ), []


def shown(value: object) -> str:
    """A value as a student reads it: ``not set`` for nothing, a list joined with commas, no Python quoting."""
    if value is None or value == "":
        return "not set"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def differences(*found: tuple[str, object, object]) -> str:
    """``label got (want wanted)`` for each (label, got, wanted) that differs; matching ones are not said."""
    return ", ".join(f"{label} {shown(got)} (want {shown(want)})" for label, got, want in found if got != want)


# The student's resources by kind: how each is named, read here and in another region, and made. The
# functions mark where the student's work is; the others tell a region apart when no function is there.
KINDS = (
    function_kind(FUNCTIONS, create_function),
    Kind("layer", (LAYER,), listed=lambda a: a.layers(), elsewhere=lambda a, region: a.layer_names_in(region)),
    queue_kind((SUCCESS_QUEUE, FAILURE_QUEUE, TASK_QUEUE, DLQ)),
    # An alarm is the student's when it watches one of their functions (its FunctionName dimension).
    Kind("alarm", FUNCTIONS, listed=lambda a: {}, elsewhere=lambda a, region: a.alarmed_functions_in(region)),
)
# What telling why every check fails reads: the other regions' functions, layers, queues and alarms.
DIAGNOSIS_READS = (
    "ec2:DescribeRegions",
    "lambda:ListFunctions",
    "lambda:ListLayers",
    "sqs:ListQueues",
    "cloudwatch:DescribeAlarms",
)
