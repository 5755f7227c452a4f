"""``--format html``: one self-contained page, for one student or a class, that an instructor opens.

Everything is inline (styles, charts as SVG drawn here, a small script whose hash the page's
Content-Security-Policy names), so the page asks nothing of anywhere: it opens offline, from an
artifact download, in light and dark, and prints on A4 and Letter. Every value from an account, a
roster or GitHub is text, never markup: escaped for HTML, attributes and SVG in :func:`_e` alone.
Charts have a text equivalent (the table of the numbers behind them), and a status is said in words
as well as in colour.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter
from collections.abc import Sequence
from typing import Any

from checks.model import CheckResult, Report, Status
from checks.text import printable

WIDTH = 640  # a chart's drawing width, in the SVG's own units (it scales to the page)


def _e(value: object) -> str:
    """Text as HTML text or an attribute value: one printable line of it, every markup character escaped."""
    return html.escape(printable(str(value)), quote=True)


def _e_block(value: str) -> str:
    """Several lines of text (a fix block) escaped, lines kept."""
    return "\n".join(_e(line) for line in value.splitlines())


STYLE = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de;
  --pass: #1a7f37; --fail: #cf222e; --error: #8250df; --blocked: #9a6700; --bar: #0969da; --card: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9da7b3; --line: #30363d;
  --pass: #3fb950; --fail: #ff7b72; --error: #d2a8ff; --blocked: #e3b341; --bar: #58a6ff; --card: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 70rem; padding: 1.5rem; font: 15px/1.45 system-ui, sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; white-space: nowrap; }
.pass { color: var(--pass); } .fail { color: var(--fail); } .error { color: var(--error); }
.blocked, .partial, .late { color: var(--blocked); }
svg { max-width: 100%; height: auto; } svg text { fill: var(--fg); font: 12px system-ui, sans-serif; }
svg .bar { fill: var(--bar); } svg .below { fill: var(--fail); } svg .mark { stroke: var(--fg); stroke-width: 2;
  stroke-dasharray: 4 3; }
pre.fix { background: var(--card); border: 1px solid var(--line); padding: .75rem; overflow-x: auto;
  white-space: pre; user-select: all; font: 13px/1.4 ui-monospace, monospace; }
.student { border-top: 2px solid var(--line); margin-top: 2rem; }
th button { all: inherit; cursor: pointer; } th button::after { content: " \\2195"; color: var(--muted); }
.meter { display: inline-block; height: .7rem; background: var(--bar); vertical-align: middle; }
a { color: var(--bar); }
@page { size: auto; margin: 15mm; }
@media print { body { max-width: none; padding: 0; font-size: 11pt; } a { color: inherit; text-decoration: none; }
  th button::after { content: ""; } .student { break-before: page; } pre.fix { white-space: pre-wrap;
  user-select: text; } section, table, svg { break-inside: avoid; } }
"""

# Sorting the students' table by a column: a plain table without it (no script, or a browser that refuses it).
SCRIPT = """document.querySelectorAll("table.sortable th button").forEach(function (b) {
  b.addEventListener("click", function () {
    var th = b.parentElement, table = th.closest("table"), body = table.tBodies[0];
    var col = Array.prototype.indexOf.call(th.parentElement.children, th);
    var down = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", down ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (x, y) {
      var a = x.cells[col].getAttribute("data-sort"), c = y.cells[col].getAttribute("data-sort");
      var n = parseFloat(a) - parseFloat(c), r = isNaN(n) ? a.localeCompare(c) : n;
      return down ? r : -r;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});"""


def _page(title: str, body: str, *, script: bool) -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
        f"script-src 'sha256-{digest}'"
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(policy)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
        + (f"<script>{SCRIPT}</script>\n" if script else "")
        + "</body>\n</html>\n"
    )


def _status(status: Status | str) -> str:
    value = status.value if isinstance(status, Status) else str(status)
    mark = {"pass": "✓", "fail": "✗", "error": "!", "blocked": "–", "partial": "◐"}.get(value, "")
    return f'<span class="status {_e(value)}">{mark} {_e(value.upper())}</span>'


# -- one student ---------------------------------------------------------------------------------------
def one(report: Report) -> str:
    """One student's page: the report the class page shows for them, with its fix block to copy."""
    title = f"{report.assessment} — {report.student_id}"
    body = f"<header><h1>{_e(title)}</h1></header>\n<main>\n{_report_section(report, 'h2', None)}</main>"
    return _page(title, body, script=False)


def _report_section(report: Report, heading: str, anchor: str | None) -> str:
    """A report: its score, the diagnosis, each task and check with its finding, and the How-to-fix block."""
    from checks.outputs.howtofix import fix_block

    sub = "h3" if heading == "h2" else "h4"
    verdict = "PASSED" if report.passed else "NOT PASSED"
    parts = [f'<section class="student"{f" id={chr(34)}{anchor}{chr(34)}" if anchor else ""}>']
    if anchor:
        parts.append(f"<{heading}>{_e(report.student_id)}</{heading}>")
    parts.append(
        f"<p><strong>{report.earned}/{report.possible} ({report.percent:.1f} %)</strong> — "
        f'<span class="status {"pass" if report.passed else "fail"}">{verdict}</span> '
        f'<span class="muted">pass mark {report.pass_mark:g} % · account {_e(report.account_id)} '
        f"({_e(report.region)}) · graded {_e(report.graded_at)}</span></p>"
    )
    if report.submission is not None:
        parts.append(f"<p>{_e(report.submission.said())}</p>")
    if not report.complete:
        parts.append('<p class="error">Incomplete: some checks could not be read (status error).</p>')
    if report.diagnosis is not None:
        parts.append(f"<p><strong>Why:</strong> {_e(report.diagnosis.message)}</p>")
    rows = []
    for task in report.tasks:
        rows.append(
            f'<tr><th scope="row">Task {task.number}</th><td>{_e(task.title)}</td>'
            f'<td>{_status(task.status.value)}</td><td class="num">{task.earned}/{task.possible}</td></tr>'
        )
        for c in task.checks:
            rows.append(
                f'<tr><td></td><td><code>{_e(c.id)}</code> {_e(c.title)}<br><span class="muted">{_e(c.message)}'
                f'</span></td><td>{_status(c.status)}</td><td class="num">{c.earned}/{c.points}</td></tr>'
            )
    parts.append(
        f'<table><caption class="muted">Tasks and checks</caption><thead><tr><th scope="col">Task</th>'
        f'<th scope="col">Check and finding</th><th scope="col">Status</th><th scope="col" class="num">Points'
        f"</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    block = [line for line, _ in fix_block(report, 100)]
    if block:
        parts.append(f"<{sub}>How to fix</{sub}>")
        parts.append('<p class="muted">This block runs as it is in bash: select it and paste it.</p>')
        parts.append(f'<pre class="fix">{_e_block(chr(10).join(block))}</pre>')
    parts.append("</section>")
    return "\n".join(parts)


# -- a class -------------------------------------------------------------------------------------------
def many(assessment: str, outcomes: Sequence[Any], summary: Sequence[Any]) -> str:
    """A class's page: how it did, which tasks and checks went wrong, why, who is missing or late, and each
    student's report."""
    from checks.grading.roster import ClassCounts

    counts = ClassCounts.of(outcomes)
    reports = [o.report for o in outcomes if o.report is not None]
    anchors = {o.student_id: f"student-{n}" for n, o in enumerate(outcomes, start=1)}
    title = f"{assessment} — class report"
    body = [
        f"<header><h1>{_e(title)}</h1><p>{_e(counts.title())}. {_e(counts.passing())}.</p></header>",
        "<main>",
        _histogram(counts.complete, reports[0].pass_mark if reports else 70.0),
        _task_rates(summary),
        _check_rates(reports),
        _misses(reports),
        _diagnoses(outcomes, anchors),
        _submissions(outcomes, anchors),
        _students(outcomes, anchors),
        '<section aria-labelledby="reports"><h2 id="reports">Reports</h2>',
    ]
    for o in outcomes:
        if o.report is not None:
            body.append(_report_section(o.report, "h3", anchors[o.student_id]))
        else:
            body.append(
                f'<section class="student" id="{anchors[o.student_id]}"><h3>{_e(o.student_id)}</h3>'
                f'<p class="error">Not graded: {_e(o.error or "")}</p></section>'
            )
    body += ["</section>", "</main>"]
    return _page(title, "\n".join(body), script=True)


def _histogram(reports: Sequence[Report], pass_mark: float) -> str:
    """The scores of the complete reports in ten bins of 10 %, the pass mark drawn across."""
    bins = [0] * 10
    for r in reports:
        bins[min(9, int(r.percent // 10))] += 1
    top = max(bins) or 1
    height, base, left, room = 200, 160, 30, 40  # room: above the tallest bar, for its count and the mark's label
    step = (WIDTH - left - 20) / 10
    bars = []
    for i, n in enumerate(bins):
        h = 0 if not n else max(2.0, (base - room) * n / top)
        x = left + i * step
        below = (i + 1) * 10 <= pass_mark
        bars.append(
            f'<rect class="{"below" if below else "bar"}" x="{x + 4:.1f}" y="{base - h:.1f}" width="{step - 8:.1f}" '
            f'height="{h:.1f}" data-count="{n}"><title>{i * 10}–{i * 10 + 10} %: {n}</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">{n}</text>'
        )
    ticks = "".join(
        f'<text x="{left + i * step:.1f}" y="{base + 16}" text-anchor="middle">{i * 10}</text>' for i in range(11)
    )
    mark_x = left + pass_mark / 10 * step
    svg = (
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="hist-title hist-desc">'
        f'<title id="hist-title">Score distribution</title>'
        f'<desc id="hist-desc">Students per score band of 10 %; the pass mark, {pass_mark:g} %, is the dashed line. '
        "The table below holds the same numbers.</desc>"
        + "".join(bars)
        + ticks
        + f'<line class="mark" x1="{mark_x:.1f}" x2="{mark_x:.1f}" y1="14" y2="{base}"/>'
        f'<text x="{mark_x + 4:.1f}" y="14">pass mark {pass_mark:g} %</text>'
        f'<text x="{left + 5 * step:.1f}" y="{height - 4}" text-anchor="middle">score (%); red: below the pass mark'
        "</text></svg>"
    )
    rows = "".join(
        f'<tr><th scope="row">{i * 10}–{i * 10 + 10} %</th><td class="num" data-bin="{i}">{n}</td></tr>'
        for i, n in enumerate(bins)
    )
    return (
        '<section aria-labelledby="dist"><h2 id="dist">Score distribution</h2>'
        f'{svg}<details><summary>The numbers</summary><table id="histogram"><thead><tr><th scope="col">Score'
        f'</th><th scope="col" class="num">Students</th></tr></thead><tbody>{rows}</tbody></table></details>'
        "</section>"
    )


def _bar(fraction: float) -> str:
    return f'<span class="meter" style="width:{max(0.0, min(1.0, fraction)) * 8:.2f}rem" aria-hidden="true"></span>'


def _task_rates(summary: Sequence[Any]) -> str:
    rows = []
    for s in summary:
        rate = s.passed / s.graded if s.graded else 0.0
        rows.append(
            f'<tr data-task="{s.number}"><th scope="row">Task {s.number}</th><td>{_e(s.title)}</td>'
            f'<td class="num" data-passed="{s.passed}" data-graded="{s.graded}">{s.passed}/{s.graded}</td>'
            f"<td>{_bar(rate)} {rate * 100:.0f} %</td></tr>"
        )
    return (
        '<section aria-labelledby="tasks"><h2 id="tasks">Pass rate per task</h2>'
        '<p class="muted">Of the students whose task could be read.</p><table id="task-rates"><thead><tr>'
        '<th scope="col">Task</th><th scope="col">Title</th><th scope="col" class="num">Passed</th>'
        f'<th scope="col">Rate</th></tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
    )


def _check_rates(reports: Sequence[Report]) -> str:
    passed: Counter[str] = Counter()
    read: Counter[str] = Counter()
    for r in reports:
        for c in r.checks():
            if c.status in (Status.PASS, Status.FAIL):
                read[c.id] += 1
                passed[c.id] += c.status is Status.PASS
    rows = "".join(
        f'<tr><th scope="row"><code>{_e(cid)}</code></th><td class="num">{passed[cid]}/{read[cid]}</td>'
        f"<td>{_bar(passed[cid] / read[cid])} {passed[cid] / read[cid] * 100:.0f} %</td></tr>"
        for cid in read
    )
    return (
        '<section aria-labelledby="checks"><h2 id="checks">Pass rate per check</h2><table id="check-rates"><thead>'
        '<tr><th scope="col">Check</th><th scope="col" class="num">Passed</th><th scope="col">Rate</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def _misses(reports: Sequence[Report]) -> str:
    """The most common failing checks, each with its most common finding and the fix students were given (a
    student whose every miss has one cause is under Diagnoses instead)."""
    failing: dict[str, list[CheckResult]] = {}
    for r in (r for r in reports if r.diagnosis is None):
        for c in r.checks():
            if c.status is Status.FAIL:
                failing.setdefault(c.id, []).append(c)
    ranked = sorted(failing.items(), key=lambda item: (-len(item[1]), item[0]))[:10]
    items = []
    for cid, checks in ranked:
        finding = Counter(c.message for c in checks).most_common(1)[0][0]
        fixes = [c.remedy.render() for c in checks if c.remedy is not None and c.remedy.steps]
        fix = Counter(fixes).most_common(1)[0][0] if fixes else ""
        given = f'<pre class="fix">{_e_block(fix)}</pre>' if fix else ""
        items.append(
            f"<li><p><code>{_e(cid)}</code>: <strong>{len(checks)}</strong> student(s). "
            f"Most often: {_e(finding)}</p>{given}</li>"
        )
    content = f"<ol>{''.join(items)}</ol>" if items else "<p>No check failed.</p>"
    return f'<section aria-labelledby="misses"><h2 id="misses">Most common misses</h2>{content}</section>'


def _link(sid: str, anchors: dict[str, str]) -> str:
    return f'<a href="#{anchors[sid]}">{_e(sid)}</a>'


def _diagnoses(outcomes: Sequence[Any], anchors: dict[str, str]) -> str:
    by_kind: dict[str, list[str]] = {}
    for o in outcomes:
        if o.report is not None and o.report.diagnosis is not None:
            by_kind.setdefault(o.report.diagnosis.kind, []).append(o.student_id)
    said = {
        "nothing_deployed": "Nothing deployed",
        "other_region": "Work in another region",
        "other_id": "Another form of the student ID",
    }
    rows = "".join(
        f'<tr><th scope="row">{_e(said.get(kind, kind))}</th><td class="num">{len(ids)}</td>'
        f"<td>{', '.join(_link(s, anchors) for s in ids)}</td></tr>"
        for kind, ids in sorted(by_kind.items())
    )
    content = (
        '<table id="diagnoses"><thead><tr><th scope="col">Cause</th><th scope="col" class="num">Students</th>'
        f'<th scope="col">Who</th></tr></thead><tbody>{rows}</tbody></table>'
        if rows
        else "<p>No single cause behind a student's misses.</p>"
    )
    return f'<section aria-labelledby="diag"><h2 id="diag">Diagnoses</h2>{content}</section>'


def _submissions(outcomes: Sequence[Any], anchors: dict[str, str]) -> str:
    """Late and missing submissions and attempts, where ``collect`` made the class (its columns say)."""
    if not any(dict(o.extra).get("attempts") is not None for o in outcomes):
        return ""
    rows = []
    for o in outcomes:
        extra = dict(o.extra)
        late = extra.get("late") == "true"
        missing = o.report is None
        if not (late or missing):
            continue
        what = _e(o.error or "") if missing else '<span class="late">LATE</span>'
        rows.append(
            f'<tr><th scope="row">{_link(o.student_id, anchors)}</th><td>{what}</td>'
            f'<td>{_e(extra.get("submitted_at", ""))}</td><td class="num">{_e(extra.get("attempts", ""))}</td></tr>'
        )
    content = (
        '<table id="late-missing"><thead><tr><th scope="col">Student</th><th scope="col">What</th>'
        '<th scope="col">Submitted</th><th scope="col" class="num">Attempts</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p>Every student submitted on time.</p>"
    )
    return f'<section aria-labelledby="subs"><h2 id="subs">Late and missing submissions</h2>{content}</section>'


def _students(outcomes: Sequence[Any], anchors: dict[str, str]) -> str:
    columns = list(dict.fromkeys(k for o in outcomes for k, _ in o.extra))
    head = "".join(f'<th scope="col"><button type="button">{_e(c)}</button></th>' for c in columns)
    rows = []
    for o in outcomes:
        extra = dict(o.extra)
        cells = "".join(f'<td data-sort="{_e(extra.get(c, ""))}">{_e(extra.get(c, ""))}</td>' for c in columns)
        r = o.report
        if r is None:
            score, result, sort = "—", f'<span class="status error">NOT GRADED</span> {_e(o.error or "")}', "-1"
        else:
            score, sort = f"{r.earned}/{r.possible} ({r.percent:.1f} %)", f"{r.percent:.3f}"
            result = _status("pass" if r.passed else "fail") + ("" if r.complete else " (incomplete)")
        rows.append(
            f'<tr><th scope="row" data-sort="{_e(o.student_id)}">{_link(o.student_id, anchors)}</th>'
            f'<td class="num" data-sort="{sort}">{score}</td><td data-sort="{_e(result)}">{result}</td>{cells}</tr>'
        )
    return (
        '<section aria-labelledby="students-h"><h2 id="students-h">Students</h2>'
        '<table id="students" class="sortable"><thead><tr><th scope="col"><button type="button">Student</button>'
        '</th><th scope="col" class="num"><button type="button">Score</button></th><th scope="col"><button '
        f'type="button">Result</button></th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></section>'
    )
