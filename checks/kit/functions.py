"""Lambda functions, for an assessment whose students make them.

A course declares its functions' name prefixes once (``function_kind``), gives the assessment the
busy rule (``busy=(FUNCTION_BUSY,)``), and its checks then ask ``s.resource("function", prefix)`` and
fail with the fixes built here: ``create_function`` (the code zipped by the fix, the role found or
made first), ``update_config``, ``function_setting``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from checks import iam
from checks.fix import Arg, Busy, Fix, Word, aws, chain, command, json_word, variable, word
from checks.model import Verdict, failed, passed
from checks.student import Kind, Missing, Student

# What finding a function by name reads: the function, the account's list (near misses), other regions
# (when none of the student's functions is in the graded one) and, for a missing one's fix, the role.
FIND = ("lambda:ListFunctions", "lambda:GetFunction", "ec2:DescribeRegions", "iam:GetRole")
# What any other check reads where functions mark the student's work (function_kind's default): a missing
# resource of another kind looks for the student's functions in other regions, to say where the work is.
WHERE_WORK_IS = ("lambda:ListFunctions", "ec2:DescribeRegions")
# What reading a function's role as IAM decides reads (its policies, AWS's managed ones, its boundary).
ROLE_READS = (
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetAccountAuthorizationDetails",  # a class: every role's policies in one read
    "iam:GetRole",  # its permissions boundary
)

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
HANDLER = "lambda_function.lambda_handler"

# A function is busy for a while after these (AWS answers 409 to the next change meanwhile), with the AWS
# CLI's waiter for each; these need it settled first. An assessment whose fixes change functions declares
# it (``busy=(FUNCTION_BUSY,)``): its fix blocks then wait where AWS would refuse.
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


def function_kind(prefixes: Sequence[str], make: Any = None, *, marks_work: bool = True) -> Kind:
    """The kind ``function``: the student's functions are ``<prefix>-<id>``, read one by one for one student
    (GetFunction, metered apart) and from the list for a class; ``make(s, prefix)`` is a missing one's fix.
    Where it marks the student's work (the default), the "other region" and "nothing deployed" diagnoses
    look for functions: every check that finds one declares :data:`FIND` in its ``reads``."""
    return Kind(
        "function",
        tuple(prefixes),
        listed=lambda a: a.functions(),
        by_name=lambda a, name: a.function(name),
        elsewhere=lambda a, region: a.function_names_in(region),
        make=make,
        marks_work=marks_work,
    )


# Writes code into a zip in a folder of its own (nothing of the student's is overwritten) and prints the
# zip's path: python3 -c ZIPPER CODE NAME-IN-THE-ZIP.
ZIPPER = (
    'import os, sys, tempfile, zipfile; path = os.path.join(tempfile.mkdtemp(), "code.zip"); '
    'zipfile.ZipFile(path, "w").writestr(sys.argv[2], sys.argv[1]); print(path)'
)


def zipped(code: str, name: str, variable_name: str) -> tuple[Fix, Word]:
    """A step that zips ``code`` as ``name`` into ``$variable_name``, and the ``fileb://`` argument of it."""
    return command("python3", "-c", ZIPPER, code, name).into(variable_name), word("fileb://", variable(variable_name))


def execution_role(
    s: Student, *, functions: Sequence[str], role: str, policy_name: str, policy: dict[str, Any]
) -> tuple[str, Fix | None]:
    """The role a function to create gets: the one the student's other ``functions`` use, else the role
    ``<role>-<id>``; when the account has neither, the fix makes that role first (Lambda's trust, and
    ``policy`` inline as ``policy_name``), waiting until Lambda can use it. The making step is shared: a
    block that creates several functions makes the role once."""
    for prefix in functions:
        fn = s.account.function(s.name(prefix))
        if fn and fn.get("Role"):
            return str(fn["Role"]), None
    name = s.name(role)
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
                policy_name,
                "--policy-document",
                json_word(policy),
            ),
            aws("iam", "wait", "role-exists", "--role-name", name),
            # A new role reaches Lambda some seconds after IAM has it: without this, CreateFunction refuses it.
            command("sleep", 10),
        ]
    )
    return arn, make.shared()


def create_function(
    name: str,
    *,
    code: str,
    runtime: str,
    role: str,
    make_role: Fix | None = None,
    settings: Sequence[Arg] = (),
    handler: str = HANDLER,
) -> Fix:
    """A missing function: ``code`` zipped as ``lambda_function.py`` by the fix, its role made first when
    ``make_role`` says so, and every setting the assessment checks on it (``settings``: flags and values,
    e.g. ``("--memory-size", 256, "--timeout", 15)``), so that one fix makes it whole."""
    zip_step, zip_file = zipped(code, "lambda_function.py", "FUNCTION_ZIP")
    create = aws(
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        runtime,
        "--handler",
        handler,
        "--role",
        role,
        "--zip-file",
        zip_file,
        *settings,
    ).shows("FunctionArn")  # one line: the function made
    return chain([make_role, zip_step, create])


def update_config(function: str, *flags: Arg) -> Fix:
    return aws("lambda", "update-function-configuration", "--function-name", function, *flags)


def function_setting(s: Student, prefix: str, key: str, want: str | int, flag: str) -> Verdict:
    """A plain configuration value of one function, e.g. MemorySize 256, with the fix that sets it."""
    fn: dict[str, Any] = s.resource("function", prefix)
    got = fn.get(key)
    if got == want:
        return passed(f"{key} {got}")
    return failed(f"{key} {got} (want {want})", update_config(fn["FunctionName"], flag, want))


def managed_policy_arn(s: Student, name: str) -> str:
    """AWS's managed policy ``name`` in the graded region's partition (AWS's own: known by ARN, never by name)."""
    return f"arn:{s.partition}:iam::aws:policy/{name}"


def role_of(fn: dict[str, Any]) -> str:
    """A function's execution role's name."""
    return str(fn.get("Role", "")).rsplit("/", 1)[-1]


def role_may(s: Any, fn: dict[str, Any], actions: tuple[str, ...], resource: str) -> bool:
    """May the function's role do every one of ``actions`` on ``resource``, as IAM decides (its policies, an
    explicit Deny, its permissions boundary)? A role that does not exist is its own check's miss: yes here.
    ``s`` is a view that reads roles (``role_documents``, ``role_boundary``)."""
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
    s: Any, fn: dict[str, Any], actions: tuple[str, ...], resource: str, *, managed: str = "", inline: str = ""
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
