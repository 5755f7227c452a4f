"""Task 2 — function using the layer (README_lambda_medium.md, "Task 2: Create Lambda Function Using Layer")."""

from __future__ import annotations

from checks.assessments.lambda_medium.common import FIND, LAYER, LAYER_CONSUMER, LAYERS, RUNTIME
from checks.assessments.lambda_medium.view import Student
from checks.kit.functions import function_setting
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check

TASK = TaskInfo(2, "Function using the layer", "Task 2: Create Lambda Function Using Layer")


@check("t2.function_exists", 3, "Function layer-consumer-<id> exists", reads=FIND)
def function_exists(s: Student) -> Verdict:
    return passed(f"function {s.function(LAYER_CONSUMER)['FunctionName']} exists")


@check("t2.runtime", 1, "Runtime python3.12", reads=FIND)
def runtime(s: Student) -> Verdict:
    return function_setting(s, LAYER_CONSUMER, "Runtime", RUNTIME, "--runtime")


@check("t2.memory", 2, "MemorySize 256", reads=FIND)
def memory(s: Student) -> Verdict:
    return function_setting(s, LAYER_CONSUMER, "MemorySize", 256, "--memory-size")


@check("t2.uses_layer", 4, "Uses a version of your common-utils-layer", reads=(*LAYERS, "lambda:GetLayerVersion"))
def uses_layer(s: Student) -> Verdict:
    fn = s.function(LAYER_CONSUMER)
    prefix = f":{s.account_id}:layer:{s.name(LAYER)}:"
    arns = [str(layer.get("Arn", "")) for layer in fn.get("Layers") or []]
    mine = [a for a in arns if prefix in a and a.split(":")[3] == s.region]
    if mine:
        return passed(f"uses {mine[0]}")
    from checks.assessments.lambda_medium.task08_insights import consumer_layers_fix  # Task 8 puts a layer on it too

    found = ", ".join(arns) if arns else "no layers"
    return failed(
        f"{fn['FunctionName']} has {found} (want a version of {s.name(LAYER)} of account {s.account_id})",
        consumer_layers_fix(s, fn),
    )
