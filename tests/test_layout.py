"""The layout the README's Architecture section describes: which part may import which.

Read from the source (every import, those inside functions too; not those for type checking
alone), so a shortcut taken by a later change fails here rather than in a review.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "checks"


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for block in [n for n in ast.walk(tree) if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]:
            block.body = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            found |= {t for t in targets if t in modules and t not in (name, "checks")}
        graph[name] = found
    return graph


GRAPH = _graph()


def _reaches(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_graph_is_read() -> None:
    assert "checks.aws.transport" in GRAPH["checks.aws.readers"]
    assert "checks.pipeline" in GRAPH["checks.cli"]  # an import inside a function counts too


def test_no_module_imports_itself_through_others() -> None:
    cycles = sorted(m for m in GRAPH if m in _reaches(m))
    assert cycles == []


def test_the_benchmark_is_outside_the_graders_imports() -> None:
    assert [m for m, imports in GRAPH.items() if "checks.bench" in imports] == []


def test_aws_access_knows_nothing_of_students_grades_or_outputs() -> None:
    for name in [m for m in GRAPH if m.startswith("checks.aws")]:
        assert _reaches(name) <= {m for m in GRAPH if m.startswith("checks.aws")} | {"checks.threads"}, name


def test_the_students_view_and_the_checks_stay_below_the_grader() -> None:
    above = {"checks.cli", "checks.pipeline", "checks.sinks", "checks.runner", "checks.report", "checks.formats"}
    for name in ["checks.student", *(m for m in GRAPH if m.startswith("checks.lambda_medium"))]:
        assert not (_reaches(name) & above), (name, _reaches(name) & above)


def test_reporters_read_reports_only() -> None:
    for name in ("checks.report", "checks.formats"):
        assert not {m for m in _reaches(name) if m.startswith(("checks.aws", "checks.student"))}, name


def test_submitting_speaks_to_github_only() -> None:
    """--submit and collect read GitHub through gh: no AWS access, no grading, nothing above them."""
    reached = _reaches("checks.submit")
    assert not {m for m in reached if m.startswith(("checks.aws", "checks.student", "checks.lambda_medium"))}
    assert not reached & {"checks.cli", "checks.pipeline", "checks.runner", "checks.sinks"}
