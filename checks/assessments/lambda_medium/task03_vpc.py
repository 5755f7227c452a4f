"""Task 3 — VPC access (README_lambda_medium.md, "Task 3: Configure VPC Access for Lambda")."""

from __future__ import annotations

from typing import Any

from checks import iam
from checks.assessments.lambda_medium.common import (
    ENI_ACTIONS,
    FIND,
    ROLE,
    SECURITY_GROUP,
    VPC_ACCESS_POLICY,
    VPC_LAMBDA,
    differences,
    shown,
)
from checks.assessments.lambda_medium.view import Student
from checks.fix import Fix, Part, Shell, ask, aws, chain, json_word, variable, word
from checks.kit.functions import function_setting, grant_first, managed_policy_arn, update_config
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check, note
from checks.student import Missing

TASK = TaskInfo(3, "VPC access", "Task 3: Configure VPC Access for Lambda")


def _vpc(s: Student) -> tuple[dict[str, Any], dict[str, Any]]:
    """The function and its VpcConfig; a function outside a VPC fails every VPC check."""
    fn = s.function(VPC_LAMBDA)
    vpc = fn.get("VpcConfig") or {}
    if not vpc.get("VpcId") or not vpc.get("SubnetIds"):
        raise Missing(f"VPC configuration of {fn['FunctionName']}", _attach(s, fn))
    return fn, vpc


# What a fix that puts the function into the VPC reads to fill in the VPC: lambda-sg-<id> and its VPC's subnets.
ATTACH = ("ec2:DescribeSecurityGroups", "ec2:DescribeSubnets")
# A check whose fix puts the function into the VPC: what the fix fills in, and what the role may do.
VPC_READS = (*FIND, *ATTACH, *ROLE)


GROUP = ask("SG_ID", "the ID of your lambda-sg security group")
Id = str | Shell


def _attach(s: Student, fn: dict[str, Any]) -> Fix:
    """Into the VPC of lambda-sg-<id>, on two subnets of different zones, with Task 3's variables set too.

    Placeholders stay only for what the account does not hold yet (no such group, no subnets).
    """
    group = s.account.security_group_named(None, s.name(SECURITY_GROUP))
    if group is None:
        return _network(s).then(
            _vpc_fix(s, fn, variable("VPC_ID"), [variable("SUBNET_A"), variable("SUBNET_B")], variable("SG_ID"))
        )
    vpc_id = str(group.get("VpcId", ""))
    return _vpc_fix(s, fn, vpc_id, _two_zones(s.account.vpc_subnets(vpc_id), []), group["GroupId"])


def _network(s: Student) -> Fix:
    """Task 3's network as the text makes it: a VPC, a subnet in each of two zones, lambda-sg-<id> in the VPC."""

    def zone(n: int) -> Fix:
        query = f"AvailabilityZones[{n}].ZoneName"
        return aws("ec2", "describe-availability-zones", "--query", query, "--output", "text").into(f"AZ_{n + 1}")

    def subnet(n: int) -> Fix:
        return aws(
            "ec2",
            "create-subnet",
            "--vpc-id",
            variable("VPC_ID"),
            "--cidr-block",
            f"10.42.{n}.0/24",
            "--availability-zone",
            variable(f"AZ_{n}"),
            "--tag-specifications",
            made_for(s, "subnet"),
        ).keep("Subnet.SubnetId", "SUBNET_A" if n == 1 else "SUBNET_B")

    return chain(
        [
            aws("ec2", "create-vpc", "--cidr-block", "10.42.0.0/16", "--tag-specifications", made_for(s, "vpc")).keep(
                "Vpc.VpcId", "VPC_ID"
            ),
            zone(0),
            zone(1),
            subnet(1),
            subnet(2),
            aws(
                "ec2",
                "create-security-group",
                "--group-name",
                s.name(SECURITY_GROUP),
                "--description",
                "Lambda VPC access",
                "--vpc-id",
                variable("VPC_ID"),
            ).keep("GroupId", "SG_ID"),
        ]
    )


MADE_FOR = "validate-tasks:student"  # the tag on what a fix makes for a student: cleanup finds it by it


def made_for(s: Student, resource_type: str) -> str:
    """``--tag-specifications`` naming the student: what the grader's fix made is theirs, and cleanup's."""
    return f"ResourceType={resource_type},Tags=[{{Key=Name,Value=lambda-vpc-{s.id}}},{{Key={MADE_FOR},Value={s.id}}}]"


def _two_zones(subnets: list[dict[str, Any]], keep: list[str]) -> list[Id]:
    """Subnet IDs in two Availability Zones, the ones in ``keep`` first; a placeholder for what is missing."""
    chosen: dict[str, str] = {}
    ordered = sorted(subnets, key=lambda sub: (sub["SubnetId"] not in keep, sub["SubnetId"]))
    for sub in ordered:
        chosen.setdefault(sub.get("AvailabilityZone", ""), sub["SubnetId"])
    picked: list[Id] = []
    picked += list(chosen.values())[:2]
    if len(picked) == 2:
        return picked
    if picked:  # one zone only: the student makes a subnet in another
        return [picked[0], ask("SUBNET_B", "a subnet of that VPC in another Availability Zone")]
    return [ask("SUBNET_A", "a subnet of that VPC"), ask("SUBNET_B", "a subnet of that VPC in another zone")]


def _joined(ids: list[Id], sep: str = ",") -> list[Part]:
    """IDs side by side in one word: data quoted, the student's variables as they are."""
    parts: list[Part] = []
    for i, x in enumerate(ids):
        parts += [sep, x] if i else [x]
    return parts


def _vpc_fix(s: Student, fn: dict[str, Any], vpc_id: Id, subnets: list[Id], group: Id) -> Fix:
    """One update: the VPC configuration, and Task 3's three variables describing it (so t3.env_vars holds).

    AWS refuses a VPC configuration whose role may not manage network interfaces: that is granted first.
    """
    environment = json_word(
        {"Variables": {"VPC_ID": vpc_id, "SUBNET_IDS": _list_value(subnets), "SECURITY_GROUP_ID": group}}
    )
    config = word("SubnetIds=", *_joined(subnets), ",SecurityGroupIds=", group)
    grant = grant_first(s, fn, ENI_ACTIONS, "*", managed=VPC_ACCESS_POLICY)
    return chain([grant, update_config(fn["FunctionName"], "--vpc-config", config, "--environment", environment)])


def _list_value(ids: list[Id]) -> Id:
    """SUBNET_IDS's value: the IDs joined with commas (the student's variables joined by the shell)."""
    if all(isinstance(x, str) for x in ids):
        return ",".join(str(x) for x in ids)
    return Shell('"' + ",".join(x.text.strip('"') if isinstance(x, Shell) else x for x in ids) + '"')


@check("t3.function_exists", 2, "Function vpc-lambda-<id> exists", reads=FIND)
def function_exists(s: Student) -> Verdict:
    return passed(f"function {s.function(VPC_LAMBDA)['FunctionName']} exists")


@check("t3.memory", 1, "MemorySize 512", reads=FIND)
def memory(s: Student) -> Verdict:
    return function_setting(s, VPC_LAMBDA, "MemorySize", 512, "--memory-size")


@check("t3.in_vpc", 2, "Attached to a VPC with at least one subnet", reads=VPC_READS)
def in_vpc(s: Student) -> Verdict:
    fn = s.function(VPC_LAMBDA)
    vpc = fn.get("VpcConfig") or {}
    if vpc.get("VpcId") and vpc.get("SubnetIds"):
        return passed(f"in {vpc['VpcId']} with {len(vpc['SubnetIds'])} subnet(s)")
    env = (fn.get("Environment") or {}).get("Variables") or {}
    return failed(f"{fn['FunctionName']} is not in a VPC{_others_replaced(env)}", _attach(s, fn))


@check("t3.multi_az", 2, "Subnets in at least two Availability Zones", reads=VPC_READS)
def multi_az(s: Student) -> Verdict:
    fn, vpc = _vpc(s)
    subnets = s.account.subnets(vpc["SubnetIds"])
    zones = sorted({sub["AvailabilityZone"] for sub in subnets.values()})
    if len(zones) >= 2:
        return passed(f"subnets in {', '.join(zones)}")
    groups: list[Id] = list(vpc.get("SecurityGroupIds") or []) or [GROUP]
    chosen = _two_zones(s.account.vpc_subnets(vpc["VpcId"]), list(vpc["SubnetIds"]))
    env = (fn.get("Environment") or {}).get("Variables") or {}
    return failed(
        f"subnets span {len(zones)} Availability Zone(s): {shown(zones)} (want at least 2){_others_replaced(env)}",
        _vpc_fix(s, fn, vpc["VpcId"], chosen, groups[0] if len(groups) == 1 else ",".join(map(str, groups))),
    )


@check("t3.security_group", 2, "Security group lambda-sg-<id> attached", reads=VPC_READS)
def security_group(s: Student) -> Verdict:
    fn, vpc = _vpc(s)
    groups = s.account.security_groups(vpc.get("SecurityGroupIds") or [])
    names = sorted(g.get("GroupName", "") for g in groups.values())
    if s.name(SECURITY_GROUP) in names:
        return passed(f"security group {s.name(SECURITY_GROUP)} attached")
    env = (fn.get("Environment") or {}).get("Variables") or {}
    extra = _others_replaced(env)
    return failed(f"attached groups {shown(names)} (want {s.name(SECURITY_GROUP)}){extra}", _group_fix(s, fn, vpc))


def _group_fix(s: Student, fn: dict[str, Any], vpc: dict[str, Any]) -> Fix:
    """Attach lambda-sg-<id>, made first in the function's VPC when it is not there.

    Task 3's SECURITY_GROUP_ID variable follows the group in the same call, so that t3.env_vars,
    true before, stays true.
    """
    name = s.name(SECURITY_GROUP)
    found = s.account.security_group_named(vpc["VpcId"], name)
    fix = _vpc_fix(s, fn, vpc["VpcId"], list(vpc["SubnetIds"]), found["GroupId"] if found else variable("SG"))
    if found:
        return fix
    create = aws(
        "ec2",
        "create-security-group",
        "--group-name",
        name,
        "--description",
        "Lambda VPC access",
        "--vpc-id",
        vpc["VpcId"],
    ).keep("GroupId", "SG")
    return create.then(fix)


@check(
    "t3.env_vars", 1, "VPC_ID, SUBNET_IDS and SECURITY_GROUP_ID describe the VPC config", reads=(*FIND, *ATTACH, *ROLE)
)
def env_vars(s: Student) -> Verdict:
    fn, vpc = _vpc(s)
    env = (fn.get("Environment") or {}).get("Variables") or {}
    groups = vpc.get("SecurityGroupIds") or []
    wrong = []
    if env.get("VPC_ID") != vpc["VpcId"]:
        wrong.append(differences(("VPC_ID", env.get("VPC_ID"), vpc["VpcId"])))
    subnets = sorted(x.strip() for x in str(env.get("SUBNET_IDS", "")).split(",") if x.strip())
    if subnets != sorted(vpc["SubnetIds"]):
        wrong.append(f"SUBNET_IDS {shown(env.get('SUBNET_IDS'))} (want {','.join(vpc['SubnetIds'])})")
    if env.get("SECURITY_GROUP_ID") not in groups:
        wrong.append(f"SECURITY_GROUP_ID {shown(env.get('SECURITY_GROUP_ID'))} (want one of {shown(groups)})")
    if not wrong:
        return passed("VPC_ID, SUBNET_IDS and SECURITY_GROUP_ID match the VPC configuration")
    variables = {
        "VPC_ID": vpc["VpcId"],
        "SUBNET_IDS": ",".join(vpc["SubnetIds"]),
        "SECURITY_GROUP_ID": groups[0] if groups else GROUP,
    }
    return failed(
        "; ".join(wrong) + _others_replaced(env),
        update_config(fn["FunctionName"], "--environment", json_word({"Variables": variables})),
    )


def _others_replaced(env: dict[str, Any]) -> str:
    """Only Task 3's three values go in a fix: the function's other variables may be secrets, never repeated."""
    if set(env) - {"VPC_ID", "SUBNET_IDS", "SECURITY_GROUP_ID"}:
        return " (the fix replaces every variable: add your others to its JSON)"
    return ""


@note(reads=(*FIND, *ATTACH, "ec2:DescribeRouteTables"))
def public_subnets(s: Student) -> str | None:
    """The text asks for private subnets; a default route to an internet gateway makes a subnet public."""
    _, vpc = _vpc(s)
    tables = s.account.route_tables(vpc["VpcId"])
    main = next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    public = []
    for subnet in vpc["SubnetIds"]:
        table = next((t for t in tables if any(a.get("SubnetId") == subnet for a in t.get("Associations", []))), main)
        routes = (table or {}).get("Routes", [])
        if any(
            r.get("DestinationCidrBlock") == "0.0.0.0/0" and str(r.get("GatewayId", "")).startswith("igw-")
            for r in routes
        ):
            public.append(subnet)
    if public:
        return (
            f"subnets {', '.join(public)} route 0.0.0.0/0 to an internet gateway: they are public, "
            "and a Lambda function in them still has no internet access (use private subnets and a NAT gateway)"
        )
    return None


@note(reads=(*ROLE, *ATTACH))
def eni_permissions(s: Student) -> str | None:
    fn, _ = _vpc(s)
    role = str(fn.get("Role", "")).rsplit("/", 1)[-1]
    attached, documents = s.account.gather(lambda: s.role_attachments(role), lambda: s.role_documents(role))
    if managed_policy_arn(s, VPC_ACCESS_POLICY) in [p.get("PolicyArn") for p in attached]:
        return None
    lacking = [a for a in ENI_ACTIONS if not iam.allows(documents, a)]
    if not lacking:
        return None
    return (
        f"role {role} lacks {', '.join(lacking)}: attach AWSLambdaVPCAccessExecutionRole "
        f"(aws iam attach-role-policy --role-name {role} "
        f"--policy-arn {managed_policy_arn(s, VPC_ACCESS_POLICY)})"
    )
