"""Task 3 — VPC access (README_lambda_medium.md, "Task 3: Configure VPC Access for Lambda")."""

from __future__ import annotations

import json
from typing import Any

from checks import iam
from checks.aws import Missing, Student
from checks.lambda_medium.common import (
    FIND,
    ROLE,
    SECURITY_GROUP,
    VPC_LAMBDA,
    differences,
    function_setting,
    shown,
    update_config,
)
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check, note

TASK = TaskInfo(3, "VPC access", "Task 3: Configure VPC Access for Lambda")

VPC_ACCESS_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface")


def _vpc(s: Student) -> tuple[dict[str, Any], dict[str, Any]]:
    """The function and its VpcConfig; a function outside a VPC fails every VPC check."""
    fn = s.function(VPC_LAMBDA)
    vpc = fn.get("VpcConfig") or {}
    if not vpc.get("VpcId") or not vpc.get("SubnetIds"):
        raise Missing(f"VPC configuration of {fn['FunctionName']}", _attach(fn["FunctionName"]))
    return fn, vpc


def _attach(function: str) -> str:
    return update_config(function, "--vpc-config SubnetIds=<subnet-a>,<subnet-b>,SecurityGroupIds=<sg-id>")


@check("t3.function_exists", 2, "Function vpc-lambda-<id> exists", reads=FIND)
def function_exists(s: Student) -> Verdict:
    return passed(f"function {s.function(VPC_LAMBDA)['FunctionName']} exists")


@check("t3.memory", 1, "MemorySize 512", reads=FIND)
def memory(s: Student) -> Verdict:
    return function_setting(s, VPC_LAMBDA, "MemorySize", 512, "--memory-size")


@check("t3.in_vpc", 2, "Attached to a VPC with at least one subnet", reads=FIND)
def in_vpc(s: Student) -> Verdict:
    fn = s.function(VPC_LAMBDA)
    vpc = fn.get("VpcConfig") or {}
    if vpc.get("VpcId") and vpc.get("SubnetIds"):
        return passed(f"in {vpc['VpcId']} with {len(vpc['SubnetIds'])} subnet(s)")
    return failed(f"{fn['FunctionName']} is not in a VPC", _attach(fn["FunctionName"]))


@check("t3.multi_az", 2, "Subnets in at least two Availability Zones", reads=(*FIND, "ec2:DescribeSubnets"))
def multi_az(s: Student) -> Verdict:
    fn, vpc = _vpc(s)
    subnets = s.account.subnets(vpc["SubnetIds"])
    zones = sorted({sub["AvailabilityZone"] for sub in subnets.values()})
    if len(zones) >= 2:
        return passed(f"subnets in {', '.join(zones)}")
    return failed(
        f"subnets span {len(zones)} Availability Zone(s): {shown(zones)} (want at least 2)",
        update_config(
            fn["FunctionName"],
            "--vpc-config SubnetIds=<subnet-in-az-a>,<subnet-in-az-b>,"
            f"SecurityGroupIds={','.join(vpc.get('SecurityGroupIds') or ['<sg-id>'])}",
        ),
    )


@check("t3.security_group", 2, "Security group lambda-sg-<id> attached", reads=(*FIND, "ec2:DescribeSecurityGroups"))
def security_group(s: Student) -> Verdict:
    fn, vpc = _vpc(s)
    groups = s.account.security_groups(vpc.get("SecurityGroupIds") or [])
    names = sorted(g.get("GroupName", "") for g in groups.values())
    if s.name(SECURITY_GROUP) in names:
        return passed(f"security group {s.name(SECURITY_GROUP)} attached")
    return failed(
        f"attached groups {shown(names)} (want {s.name(SECURITY_GROUP)})",
        update_config(
            fn["FunctionName"],
            f"--vpc-config SubnetIds={','.join(vpc['SubnetIds'])},SecurityGroupIds=<id of {s.name(SECURITY_GROUP)}>",
        ),
    )


@check("t3.env_vars", 1, "VPC_ID, SUBNET_IDS and SECURITY_GROUP_ID describe the VPC config", reads=FIND)
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
        "SECURITY_GROUP_ID": groups[0] if groups else "<sg-id>",
    }
    # Only these three values: the function's other variables may be secrets, never repeated here.
    others = " (this replaces every variable: add your others to the JSON)" if set(env) - set(variables) else ""
    return failed(
        "; ".join(wrong),
        update_config(fn["FunctionName"], f"--environment '{json.dumps({'Variables': variables})}'") + others,
    )


@note(reads=(*FIND, "ec2:DescribeRouteTables"))
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


@note(reads=ROLE)
def eni_permissions(s: Student) -> str | None:
    fn, _ = _vpc(s)
    role = str(fn.get("Role", "")).rsplit("/", 1)[-1]
    attached, documents = s.account.gather(
        lambda: s.account.attached_role_policies(role), lambda: s.account.role_policy_documents(role)
    )
    if VPC_ACCESS_POLICY_ARN in [p.get("PolicyArn") for p in attached]:
        return None
    lacking = [a for a in ENI_ACTIONS if not iam.allows(documents, a)]
    if not lacking:
        return None
    return (
        f"role {role} lacks {', '.join(lacking)}: attach AWSLambdaVPCAccessExecutionRole "
        f"(aws iam attach-role-policy --role-name {role} "
        f"--policy-arn {VPC_ACCESS_POLICY_ARN})"
    )
