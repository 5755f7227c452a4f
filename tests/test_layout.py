"""The layout the README's "How it is built" draws: which part may import which.

Read from the source: every import, those inside functions too, relative ones (``from ..pipeline
import x``) and dynamic ones (``importlib.import_module("checks.grading.runner")``, ``__import__``); not those
for type checking alone. Every assessment is covered: the folders under ``checks`` and the packages
found by entry point (tests/assessments). A shortcut taken by a later change fails here rather than
in a review; each rule is also shown to fail on a line planted against it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "checks"
OTHER_ASSESSMENTS = ROOT / "tests" / "assessments"  # packages of their own, found by entry point
EXTERNAL = ("boto3", "botocore", "moto")  # AWS and its stand-in: what only some rooms may import

# The groups are folders: what a module is, its folder says.
FOLDERS = ("cli", "grading", "outputs", "standin", "github", "aws", "assessments", "kit")


def in_folder(folder: str) -> set[str]:
    return {m for m in SOURCES if m == f"checks.{folder}" or m.startswith(f"checks.{folder}.")}


def _sources() -> dict[str, Path]:
    """Every module: the grader's (``checks...``) and each other assessment package's."""
    found: dict[str, Path] = {}
    roots = [(PACKAGE.parent, PACKAGE)] + [
        (OTHER_ASSESSMENTS, p.parent) for p in OTHER_ASSESSMENTS.glob("*/__init__.py")
    ]
    for base, folder in roots:
        for path in folder.rglob("*.py"):
            parts = path.relative_to(base).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


SOURCES = _sources()
# The grader's own path above the student's view, and what only it may reach.
GRADER = (
    in_folder("cli") | in_folder("grading") | in_folder("github") | {"checks.standin.demo", "checks.standin.sandbox"}
)
OUTPUTS = in_folder("outputs")
# boto3 and botocore outside AWS access: the stand-in's gap fills (their probes ask moto as AWS is asked)
# and the benchmark, neither of which the grader's own path imports.
BENCHMARK = {"checks.bench", "checks.bench_accounts"}
STAND_IN = in_folder("standin") | BENCHMARK


def assessments() -> list[str]:
    """Every assessment package: a folder under checks (but AWS access), or another package."""
    inside = [f"checks.assessments.{p.parent.name}" for p in (PACKAGE / "assessments").glob("*/__init__.py")]
    return sorted(inside + [p.parent.name for p in OTHER_ASSESSMENTS.glob("*/__init__.py")])


def _resolve(name: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(name: str, source: str) -> set[str]:
    """What a module imports: modules of the project, and the top package of AWS's and the stand-in's."""
    tree = ast.parse(source)
    for block in [n for n in ast.walk(tree) if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]:
        block.body = []
    is_package = SOURCES.get(name, Path()).name == "__init__.py"
    targets: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, is_package, node)
            targets += [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            called = ast.unparse(node.func)
            if called in ("importlib.import_module", "import_module", "__import__") and isinstance(
                node.args[0].value, str
            ):
                targets.append(node.args[0].value)
    found = {t for t in targets if t in SOURCES and t not in (name, "checks")}  # the package's own name: no edge
    found |= {t.split(".")[0] for t in targets if t.split(".")[0] in EXTERNAL}
    return found


def graph(planted: dict[str, str] | None = None) -> dict[str, set[str]]:
    """Every module's imports; ``planted``: a line added to a module, to show a rule fails on it (only that
    module is read again)."""
    planted = planted or {}
    base = _base_graph()
    out = {name: set(imported) for name, imported in base.items()}
    for name, line in planted.items():
        out[name] = imports_of(name, SOURCES[name].read_text(encoding="utf-8") + "\n" + line + "\n")
    return out


_BASE: dict[str, set[str]] = {}


def _base_graph() -> dict[str, set[str]]:
    if not _BASE:
        _BASE.update({name: imports_of(name, path.read_text(encoding="utf-8")) for name, path in SOURCES.items()})
    return _BASE


GRAPH = graph()


def reaches(g: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in g.get(todo.pop(), set()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _task_modules() -> list[str]:
    """Every module of an assessment that defines a task (``TASK = TaskInfo(...)``)."""
    return [
        name
        for name, path in SOURCES.items()
        if any(name == a or name.startswith(a + ".") for a in assessments()) and "TASK = TaskInfo(" in path.read_text()
    ]


def violations(g: dict[str, set[str]]) -> list[str]:
    """Every import that breaks the layout, said as ``module: rule``."""
    found = []
    aws = {m for m in g if m.startswith("checks.aws")}
    for name, imported in g.items():
        if {"boto3", "botocore"} & imported and name not in aws | STAND_IN:
            found.append(f"{name}: boto3 and botocore are imported under checks/aws only")
    for name in _task_modules() + sorted(in_folder("kit")):
        wrong = g[name] & (GRADER | OUTPUTS | aws | set(EXTERNAL))
        if wrong:
            found.append(f"{name}: a task module imports {sorted(wrong)} (the grader, an output or AWS access)")
    views = ["checks.student", *(m for m in g if any(m.startswith(a + ".") for a in assessments()))]
    for name in views:
        above = reaches(g, name) & (GRADER | OUTPUTS - {"checks.grading.roster"})
        if above:
            found.append(f"{name}: the student's view and the checks reach {sorted(above)}")
    for name in aws:
        outside = reaches(g, name) - aws - {"checks.threads", *EXTERNAL}
        if outside:
            found.append(f"{name}: AWS access reaches {sorted(outside)}")
    for name in ("checks.outputs.report", "checks.outputs.formats"):
        if {m for m in reaches(g, name) if m.startswith(("checks.aws", "checks.student"))}:
            found.append(f"{name}: a reporter reads more than reports")
    cycles = sorted(m for m in g if m in reaches(g, m))
    found += [f"{m}: imports itself through others" for m in cycles]
    found += [f"{m}: imports the benchmark" for m, imported in g.items() if m not in BENCHMARK and BENCHMARK & imported]
    return found


def test_the_graph_is_read() -> None:
    assert "checks.aws.transport" in GRAPH["checks.aws.readers"]
    assert "checks.grading.pipeline" in GRAPH["checks.cli.grade"]  # an import inside a function counts too
    assert "sqs_queues.common" in GRAPH["sqs_queues.task1_orders"]  # another package's assessment too
    assert {"checks.assessments.lambda_medium", "sqs_queues"} <= set(assessments())
    assert len(_task_modules()) == 14  # twelve tasks of lambda_medium, two of sqs_queues


def test_the_layout_holds() -> None:
    assert violations(GRAPH) == []


@pytest.mark.parametrize(
    ("module", "line", "rule"),
    [
        ("checks.assessments.lambda_medium.task01_layer", "import boto3", "boto3 and botocore"),
        ("checks.assessments.lambda_medium.task01_layer", "import boto3", "a task module imports"),
        ("sqs_queues.task2_dlq", "from botocore.config import Config", "a task module imports"),
        ("checks.assessments.lambda_medium.view", "from ...grading.pipeline import grade_roster", "the student's view"),
        ("checks.student", "from .grading.pipeline import grade_roster", "the student's view"),
        (
            "sqs_queues.task1_orders",
            "import importlib; importlib.import_module('checks.grading.runner')",
            "a task module",
        ),
        ("checks.assessments.lambda_medium.task12_alarms", "from ...aws import Account", "a task module imports"),
        ("checks.assessments.lambda_medium.task12_alarms", "from ...grading import runner", "a task module imports"),
        ("checks.kit.functions", "from checks.outputs import sinks", "a task module imports"),
        ("checks.outputs.report", "from checks.student import Student", "a reporter"),
        ("checks.aws.transport", "__import__('checks.grading.runner')", "AWS access reaches"),
        ("checks.model", "from checks.outputs.report import write", "imports itself through others"),
        ("checks.cli.merge", "from checks import bench", "imports the benchmark"),
    ],
)
def test_each_rule_fails_on_a_line_planted_against_it(module: str, line: str, rule: str) -> None:
    found = violations(graph({module: line}))
    assert any(rule in v for v in found), found


def test_submitting_speaks_to_github_only() -> None:
    """--submit and collect read GitHub through gh: no AWS access, no grading, nothing above them."""
    reached = set().union(*(reaches(GRAPH, m) | {m} for m in in_folder("github")))
    assert not {
        m for m in reached if m.startswith(("checks.aws", "checks.student", "checks.assessments.lambda_medium"))
    }
    assert not reached & {
        "checks.cli",
        "checks.grading.pipeline",
        "checks.grading.runner",
        "checks.outputs.sinks",
        *EXTERNAL,
    }
