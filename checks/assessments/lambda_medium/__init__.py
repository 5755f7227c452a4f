"""lambda_medium: the AWS Lambda assessment, twelve tasks, 120 points.

The rubric is ``lambda_medium_rubric.md``; the student text is README_lambda_medium.md.
"""

import re

from checks.assessments.lambda_medium import (
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
from checks.assessments.lambda_medium.common import DIAGNOSIS_READS, KINDS, OWNERS
from checks.assessments.lambda_medium.view import Student
from checks.kit.functions import FUNCTION_BUSY
from checks.registry import Cleanup, IdRule, Students, Tools, assessment

# 1 to 42 of these: 64, Lambda's limit on a function's name, less the longest prefix and its '-'.
STUDENT_ID = re.compile(r"[A-Za-z0-9_-]{1,42}")


def demo(student_id: str, region: str, session: object) -> None:
    """The demo account: the reference solution with typical mistakes (imported only for --demo)."""
    from checks.assessments.lambda_medium.reference import deploy_demo

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
    Students(
        kinds=KINDS,
        owners=OWNERS,
        view=Student,
        ids=IdRule(STUDENT_ID, "1 to 42 letters, digits, '-' or '_'"),
        diagnosis_reads=DIAGNOSIS_READS,
        evidence_variables=("VPC_ID", "SUBNET_IDS", "SECURITY_GROUP_ID"),  # Task 3 reads these values
    ),
    Tools(
        busy=(FUNCTION_BUSY,),
        cleanup=Cleanup(teardown.teardown, teardown.READS, teardown.PRICES_READ),
        demo=demo,
    ),
)
