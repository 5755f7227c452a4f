"""Task 1 — Lambda layer (README_lambda_medium.md, "Task 1: Create Lambda Layer for Shared Dependencies")."""

from __future__ import annotations

from checks.assessments.lambda_medium.common import LAYER, LAYERS, RUNTIME, publish_layer, shown
from checks.assessments.lambda_medium.view import Student
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check

TASK = TaskInfo(1, "Lambda layer", "Task 1: Create Lambda Layer for Shared Dependencies")


def _latest(s: Student) -> dict[str, object]:
    return dict(s.layer(LAYER, publish_layer(s)).get("LatestMatchingVersion") or {})


@check("t1.layer_exists", 5, "Layer common-utils-layer-<id> has a version", reads=LAYERS)
def layer_exists(s: Student) -> Verdict:
    return passed(f"layer {s.name(LAYER)} at version {_latest(s).get('Version')}")


@check("t1.runtime", 4, "Latest layer version is compatible with python3.12", reads=LAYERS)
def runtime(s: Student) -> Verdict:
    runtimes = list(_latest(s).get("CompatibleRuntimes") or [])  # type: ignore[call-overload]
    if RUNTIME in runtimes:
        return passed(f"CompatibleRuntimes {shown(runtimes)}")
    return failed(f"CompatibleRuntimes {shown(runtimes)} (want {RUNTIME})", publish_layer(s))


@check("t1.description", 1, "Latest layer version has a description", reads=LAYERS)
def description(s: Student) -> Verdict:
    text = str(_latest(s).get("Description") or "").strip()
    if text:
        return passed(f"Description {text!r}")
    return failed("Description is empty (want a short description)", publish_layer(s))
