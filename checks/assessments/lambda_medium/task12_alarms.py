"""Task 12 — CloudWatch alarms (README_lambda_medium.md, "Task 12: Create CloudWatch Alarms for Lambda")."""

from __future__ import annotations

from typing import Any

from checks.assessments.lambda_medium.common import FUNCTIONS, LAYER_CONSUMER
from checks.assessments.lambda_medium.view import Student
from checks.fix import Fix, aws
from checks.model import Verdict, failed, passed
from checks.registry import TaskInfo, check, note

TASK = TaskInfo(12, "CloudWatch alarms", "Task 12: Create CloudWatch Alarms for Lambda")

# What the assessment text asks of each alarm: statistic, threshold.
TEXT_ALARMS = {"Errors": ("Sum", 5.0), "Duration": ("Average", 25000.0), "Throttles": ("Sum", 1.0)}
# README_lambda_medium.md's alarms, as the fixes write them: name label, comparison, evaluation periods.
TEXT_ALARM_SHAPE = {
    "Errors": ("HighErrorRate", "GreaterThanThreshold", 2),
    "Duration": ("HighDuration", "GreaterThanThreshold", 2),
    "Throttles": ("Throttles", "GreaterThanOrEqualToThreshold", 1),
}


def _metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm watches: its own, or those of its metric-math query."""
    if alarm.get("MetricName"):
        return [
            {
                "Namespace": alarm.get("Namespace"),
                "MetricName": alarm.get("MetricName"),
                "Dimensions": alarm.get("Dimensions") or [],
            }
        ]
    return [q["MetricStat"]["Metric"] for q in alarm.get("Metrics") or [] if q.get("MetricStat")]


def alarms(s: Student) -> list[tuple[dict[str, Any], set[str]]]:
    """The student's alarms on their functions, each with the Lambda metrics it watches."""
    mine = {s.name(p) for p in FUNCTIONS}
    found = []
    for alarm in s.account.metric_alarms():
        if str(alarm.get("AlarmName", "")).startswith("TargetTracking-"):
            continue
        watched = {
            m.get("MetricName", "")
            for m in _metrics(alarm)
            if m.get("Namespace") == "AWS/Lambda"
            and any(d.get("Name") == "FunctionName" and d.get("Value") in mine for d in m.get("Dimensions", []))
        }
        if watched:
            found.append((alarm, watched))
    return found


def _put_alarm(s: Student, metric: str) -> Fix:
    """The text's alarm on ``metric``, under a name no alarm of the account has yet.

    PutMetricAlarm on an existing name replaces that alarm, which may be one the student needs.
    """
    statistic, threshold = TEXT_ALARMS[metric]
    label, operator, periods = TEXT_ALARM_SHAPE[metric]
    taken = {str(a.get("AlarmName")) for a in s.account.metric_alarms()}
    name = f"Lambda-{label}-{s.id}"
    n = 2
    while name in taken:
        name, n = f"Lambda-{label}-{n}-{s.id}", n + 1
    return aws(
        "cloudwatch",
        "put-metric-alarm",
        "--alarm-name",
        name,
        "--namespace",
        "AWS/Lambda",
        "--metric-name",
        metric,
        "--dimensions",
        f"Name=FunctionName,Value={s.name(LAYER_CONSUMER)}",
        "--statistic",
        statistic,
        "--period",
        300,
        "--evaluation-periods",
        periods,
        "--threshold",
        threshold,
        "--comparison-operator",
        operator,
    )


def _watches(s: Student, metric: str) -> Verdict:
    for alarm, watched in alarms(s):
        if metric in watched:
            return passed(f"alarm {alarm['AlarmName']} watches {metric}")
    return failed(f"no alarm on your functions watches {metric}", _put_alarm(s, metric))


@check("t12.count", 4, "At least 3 alarms on your functions", reads=("cloudwatch:DescribeAlarms",))
def count(s: Student) -> Verdict:
    found = alarms(s)
    if len(found) >= 3:
        return passed(f"{len(found)} alarms on your functions")
    names = ", ".join(a["AlarmName"] for a, _ in found) or "none"
    watched = {m for _, metrics in found for m in metrics}
    # A new alarm, on a metric not yet watched where one is left: it raises the count and a metric check.
    metric = next((m for m in TEXT_ALARMS if m not in watched), "Errors")
    return failed(f"{len(found)} alarm(s) on your functions ({names}) (want at least 3)", _put_alarm(s, metric))


@check("t12.errors", 2, "An alarm watches Errors", reads=("cloudwatch:DescribeAlarms",))
def errors(s: Student) -> Verdict:
    return _watches(s, "Errors")


@check("t12.duration", 2, "An alarm watches Duration", reads=("cloudwatch:DescribeAlarms",))
def duration(s: Student) -> Verdict:
    return _watches(s, "Duration")


@check("t12.throttles", 2, "An alarm watches Throttles", reads=("cloudwatch:DescribeAlarms",))
def throttles(s: Student) -> Verdict:
    return _watches(s, "Throttles")


@note(reads=("cloudwatch:DescribeAlarms",))
def thresholds(s: Student) -> str | None:
    differ = []
    for alarm, watched in alarms(s):
        for metric in watched & set(TEXT_ALARMS):
            statistic, threshold = TEXT_ALARMS[metric]
            if alarm.get("MetricName") and (
                alarm.get("Statistic") != statistic or float(alarm.get("Threshold", -1)) != threshold
            ):
                differ.append(
                    f"{alarm['AlarmName']} ({alarm.get('Statistic')} {alarm.get('Threshold')}; "
                    f"the text uses {statistic} {threshold:g})"
                )
    if not differ:
        return None
    return "alarm settings differ from the text, which is fine for the score: " + "; ".join(differ)
