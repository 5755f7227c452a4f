"""Names and fix commands shared by the lambda_medium task modules."""

from __future__ import annotations

from checks.fix import Arg, Fix, aws
from checks.model import Verdict, failed, passed
from checks.student import Student

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
FIND = ("lambda:ListFunctions", "lambda:GetFunction", "ec2:DescribeRegions")
LAYERS = (*FIND, "lambda:ListLayers")
QUEUES = (*FIND, "sqs:ListQueues", "sqs:GetQueueAttributes")
MAPPINGS = (*QUEUES, "lambda:ListEventSourceMappings")
ROLE = (
    *FIND,
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetAccountAuthorizationDetails",  # a class: every role's policies in one read
)
ALIASES = (*FIND, "lambda:ListAliases")
VERSIONS = (*ALIASES, "lambda:ListVersionsByFunction")  # aliases and the versions they may point to


# An event source mapping in these states is live or on its way there (the rubric, t5.mapping).
LIVE_STATES = ("Enabled", "Creating", "Enabling", "Updating")


def publish_layer(s: Student) -> Fix:
    """A new version of the student's layer, as Task 1 asks (layer.zip is what Task 1 builds)."""
    return aws(
        "lambda",
        "publish-layer-version",
        "--layer-name",
        s.name(LAYER),
        "--description",
        "Common utilities and dependencies",
        "--zip-file",
        "fileb://layer.zip",
        "--compatible-runtimes",
        RUNTIME,
    )


def update_config(function: str, *flags: Arg) -> Fix:
    return aws("lambda", "update-function-configuration", "--function-name", function, *flags)


def function_setting(s: Student, prefix: str, key: str, want: str | int, flag: str) -> Verdict:
    """A plain configuration value of one function, e.g. MemorySize 256."""
    fn = s.function(prefix)
    got = fn.get(key)
    if got == want:
        return passed(f"{key} {got}")
    return failed(f"{key} {got} (want {want})", update_config(fn["FunctionName"], flag, want))


def attributes(values: dict[str, str | int]) -> str:
    """SQS attributes in the AWS CLI's shorthand, ``Name=value,Name=value``."""
    return ",".join(f"{k}={v}" for k, v in values.items())


def create_queue(name: str, values: dict[str, str | int]) -> Fix:
    return aws("sqs", "create-queue", "--queue-name", name, "--attributes", attributes(values))


def set_queue_attributes(url: str, values: dict[str, str | int]) -> Fix:
    return aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", attributes(values))


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
    s: Student, queue_prefix: str, function_prefix: str, settings: tuple[Arg, ...] = ("--batch-size", 10)
) -> tuple[Verdict, list[dict[str, object]]]:
    """Is there an enabled mapping from the queue to the function? The verdict and the mappings.

    ``settings`` are the mapping's flags the rubric wants, given with every fix that makes or enables it.
    """
    fn = s.function(function_prefix)
    # The queue's ARN and the account's mappings are independent: one round trip for both.
    queue_arn, _ = s.account.gather(lambda: s.queue_arn(queue_prefix), s.account.event_source_mappings)
    mappings = s.mappings(queue_arn, fn["FunctionArn"])
    live = [m for m in mappings if m.get("State") in LIVE_STATES]
    fix = aws(
        "lambda",
        "create-event-source-mapping",
        "--function-name",
        fn["FunctionName"],
        "--event-source-arn",
        queue_arn,
        *settings,
    )
    if live:
        return passed(f"mapping {live[0].get('UUID')} from {s.name(queue_prefix)}, {live[0].get('State')}"), live
    if mappings:
        m = mappings[0]
        return failed(
            f"mapping {m.get('UUID')} is {m.get('State')} (want Enabled)",
            aws("lambda", "update-event-source-mapping", "--uuid", str(m.get("UUID")), "--enabled", *settings),
        ), []
    return failed(f"no event source mapping from {s.name(queue_prefix)} to {fn['FunctionName']}", fix), []


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
