"""Names and fix commands shared by the lambda_medium task modules."""

from __future__ import annotations

from typing import Any

from checks import iam
from checks.fix import Arg, Busy, Fix, Word, aws, chain, command, json_word, variable, word
from checks.lambda_medium.text_code import FUNCTION_CODE, LAYER_UTILS, ROLE_POLICY
from checks.lambda_medium.view import LAMBDA_TRUST, Student
from checks.model import Verdict, failed, passed
from checks.student import Kind, Missing

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
FIND = ("lambda:ListFunctions", "lambda:GetFunction", "ec2:DescribeRegions", "iam:GetRole")
LAYERS = (*FIND, "lambda:ListLayers")
QUEUES = (*FIND, "sqs:ListQueues", "sqs:GetQueueAttributes")
ROLE = (
    *FIND,
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetAccountAuthorizationDetails",  # a class: every role's policies in one read
    "iam:GetRole",  # its permissions boundary
)
# A mapping's fix puts the role's SQS rights right first: it reads the role too.
MAPPINGS = (*QUEUES, *ROLE, "lambda:ListEventSourceMappings")
ALIASES = (*FIND, "lambda:ListAliases")
VERSIONS = (*ALIASES, "lambda:ListVersionsByFunction")  # aliases and the versions they may point to


# AWS's managed policies that grant what Lambda checks when a trigger or a VPC is saved.
SQS_EXECUTION_POLICY = "service-role/AWSLambdaSQSQueueExecutionRole"
VPC_ACCESS_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"
TRIGGER_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface")


def managed_policy_arn(s: Student, name: str) -> str:
    """AWS's managed policy ``name`` in the graded region's partition (AWS's own: known by ARN, never by name)."""
    return f"arn:{s.partition}:iam::aws:policy/{name}"


def role_of(fn: dict[str, Any]) -> str:
    return str(fn.get("Role", "")).rsplit("/", 1)[-1]


def role_may(s: Student, fn: dict[str, Any], actions: tuple[str, ...], resource: str) -> bool:
    """May the function's role do every one of ``actions`` on ``resource``, as IAM decides (its policies, an
    explicit Deny, its permissions boundary)? A role that does not exist is its own check's miss: yes here."""
    role = role_of(fn)
    try:
        documents, boundary = s.account.gather(lambda: s.role_documents(role), lambda: s.role_boundary(role))
    except Missing:
        return True
    return all(
        iam.allows(documents, a, resource) and (boundary is None or iam.allows([boundary], a, resource))
        for a in actions
    )


def grant_first(
    s: Student, fn: dict[str, Any], actions: tuple[str, ...], resource: str, *, managed: str = "", inline: str = ""
) -> Fix | None:
    """What the function's role needs before AWS accepts a change that rests on ``actions`` on ``resource``.

    None when its policies already allow them, as IAM decides (an explicit Deny wins; the permissions
    boundary must allow them too); else AWS's ``managed`` policy attached, or a minimal ``inline`` one.
    A role that does not exist is its own check's miss, not this fix's.
    """
    role = role_of(fn)
    if role_may(s, fn, actions, resource):
        return None
    if managed:
        return aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", managed_policy_arn(s, managed))
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    document = {"Version": "2012-10-17", "Statement": [statement]}
    return aws(
        "iam", "put-role-policy", "--role-name", role, "--policy-name", inline, "--policy-document", json_word(document)
    )


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


# Writes the text's code into a zip in a folder of its own (nothing of the student's is overwritten) and
# prints the zip's path: python3 -c ZIPPER CODE NAME-IN-THE-ZIP.
ZIPPER = (
    'import os, sys, tempfile, zipfile; path = os.path.join(tempfile.mkdtemp(), "code.zip"); '
    'zipfile.ZipFile(path, "w").writestr(sys.argv[2], sys.argv[1]); print(path)'
)


def zipped(code: str, name: str, variable_name: str) -> tuple[Fix, Word]:
    """A step that zips ``code`` as ``name`` into ``$variable_name``, and the ``fileb://`` argument of it."""
    return command("python3", "-c", ZIPPER, code, name).into(variable_name), word("fileb://", variable(variable_name))


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
    """The role a function to create gets: the one the student's other functions use, else the text's role;
    when the account has neither, the fix makes the text's role first (as the text does, with its policy)."""
    for prefix in FUNCTIONS:
        fn = s.account.function(s.name(prefix))
        if fn and fn.get("Role"):
            return str(fn["Role"]), None
    name = s.name(TEXT_ROLE)
    arn = f"arn:{s.partition}:iam::{s.account_id}:role/{name}"
    if s.account.role_exists(name):
        return arn, None
    make = chain(
        [
            aws(
                "iam", "create-role", "--role-name", name, "--assume-role-policy-document", json_word(LAMBDA_TRUST)
            ).quiet(),
            aws(
                "iam",
                "put-role-policy",
                "--role-name",
                name,
                "--policy-name",
                "lambda-medium",
                "--policy-document",
                json_word(ROLE_POLICY),
            ),
            aws("iam", "wait", "role-exists", "--role-name", name),
            # A new role reaches Lambda some seconds after IAM has it: without this, CreateFunction refuses it.
            command("sleep", 10),
        ]
    )
    return arn, make.shared()


def create_function(s: Student, prefix: str) -> Fix:
    """A missing function, as the text makes it: its code zipped by the fix, its role found or made first."""
    role, make_role = execution_role(s)
    zip_step, zip_file = zipped(FUNCTION_CODE.get(prefix, FALLBACK_CODE), "lambda_function.py", "FUNCTION_ZIP")
    create = aws(
        "lambda",
        "create-function",
        "--function-name",
        s.name(prefix),
        "--runtime",
        RUNTIME,
        "--handler",
        "lambda_function.lambda_handler",
        "--role",
        role,
        "--zip-file",
        zip_file,
    ).quiet()
    return chain([make_role, zip_step, create])


FALLBACK_CODE = "def lambda_handler(event, context):\n    return event\n"


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


def plain_queue(s: Student, prefix: str) -> Fix:
    return aws("sqs", "create-queue", "--queue-name", s.name(prefix))


# A function is busy for a while after these (AWS answers 409 to the next change meanwhile), with the AWS
# CLI's waiter for each; these need it settled first.
FUNCTION_BUSY = Busy(
    "lambda",
    "--function-name",
    busy_after=(
        ("create-function", "function-active-v2"),
        ("update-function-configuration", "function-updated-v2"),
        ("update-function-code", "function-updated-v2"),
    ),
    needs_settled=("update-function-configuration", "update-function-code", "publish-version"),
    waiter="function-updated-v2",
)

# The student's resources by kind: how each is named, read here and in another region, and made. The
# functions mark where the student's work is; the others tell a region apart when no function is there.
KINDS = (
    Kind(
        "function",
        FUNCTIONS,
        listed=lambda a: a.functions(),
        by_name=lambda a, name: a.function(name),  # GetFunction for one student, metered apart (100/s)
        elsewhere=lambda a, region: a.function_names_in(region),
        make=create_function,
        marks_work=True,
    ),
    Kind("layer", (LAYER,), listed=lambda a: a.layers(), elsewhere=lambda a, region: a.layer_names_in(region)),
    Kind(
        "queue",
        (SUCCESS_QUEUE, FAILURE_QUEUE, TASK_QUEUE, DLQ),
        listed=lambda a: a.queues(),
        elsewhere=lambda a, region: a.queue_names_in(region),
        make=plain_queue,
    ),
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
