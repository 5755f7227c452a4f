"""lambda_medium: the AWS Lambda assessment, twelve tasks, 120 points.

The rubric is ``lambda_medium_rubric.md``; the student text is README_lambda_medium.md.
"""

import re

from checks.lambda_medium import (
    task01_layer,
    task02_layer_consumer,
    task03_vpc,
    task04_async,
    task05_sqs_trigger,
    task06_dlq,
    task07_reserved,
    task08_insights,
    task09_aliases,
    task10_provisioned,
    task11_cross_account,
    task12_alarms,
    teardown,
)
from checks.lambda_medium.common import DIAGNOSIS_READS, FUNCTION_BUSY, KINDS, OWNERS
from checks.lambda_medium.view import Student
from checks.registry import assessment

# 1 to 42 of these: 64, Lambda's limit on a function's name, less the longest prefix and its '-'.
STUDENT_ID = re.compile(r"[A-Za-z0-9_-]{1,42}")


def demo(student_id: str, region: str, session: object) -> None:
    """The demo account: the reference solution with typical mistakes (imported only for --demo)."""
    from checks.lambda_medium.reference import deploy_demo

    deploy_demo(student_id, region, session=session)


ASSESSMENT = assessment(
    "lambda_medium",
    "AWS Lambda Assessment - Advanced Serverless Patterns (Medium)",
    "README_lambda_medium.md",
    [
        task01_layer,
        task02_layer_consumer,
        task03_vpc,
        task04_async,
        task05_sqs_trigger,
        task06_dlq,
        task07_reserved,
        task08_insights,
        task09_aliases,
        task10_provisioned,
        task11_cross_account,
        task12_alarms,
    ],
    kinds=KINDS,
    view=Student,
    id_rule=STUDENT_ID,
    id_said="1 to 42 letters, digits, '-' or '_'",
    owners=OWNERS,
    diagnosis_reads=DIAGNOSIS_READS,
    teardown=teardown.teardown,
    teardown_reads=teardown.READS,
    prices_read=teardown.PRICES_READ,
    demo=demo,
    evidence_variables=("VPC_ID", "SUBNET_IDS", "SECURITY_GROUP_ID"),  # Task 3 reads these values
    busy=(FUNCTION_BUSY,),
)
