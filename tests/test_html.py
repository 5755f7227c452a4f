"""``--format html``: the class at a glance, and one student's report, as one self-contained page.

The page is read as text here (escaping, its policy, that it asks nothing of anywhere) and opened in a real
headless Chromium (Debian's ``chromium``, driven by Playwright's Python package through
``executable_path``): no console error, no request leaves it, its charts' numbers are the gradebook's, every
student's link lands on their section, hostile values show as text and run nothing, the students' table
sorts. CI installs the browser (``.ci/run``) and runs this; elsewhere, without one, it is skipped.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from checks.grading.pipeline import Hooks, Opened, grade_roster
from checks.grading.roster import Outcome, RosterRow, summarize, write_gradebook
from checks.outputs.html import many, one
from checks.registry import load_assessment
from tests.conftest import ROOT
from tests.world import WorldAccount, reference_world

HOSTILE = "<script>alert(1)</script>"
ASSESSMENT = load_assessment("lambda_medium")
SNAPSHOT = ROOT / "tests" / "snapshots" / "class-page.png"


def class_outcomes() -> list[Outcome]:
    """A class in memory: full marks, typical misses, work in another region, nothing deployed, one student who
    could not be graded, and hostile text in an alarm's name and in the roster's own columns."""
    world = reference_world()
    for sid in ("s2", "s3", "s4", "s5"):
        reference_world(sid, world)
    world.fn("layer-consumer", "s2")["MemorySize"] = 128
    world.fn("rate-limited-function", "s3")["Timeout"] = 3
    world.fn("layer-consumer", "s3")["MemorySize"] = 128
    world.elsewhere["eu-west-1"] = ["layer-consumer-away"]
    world.alarms[:] = [a for a in world.alarms if not a["AlarmName"].endswith("-s4")]
    world.add_alarm(f"{HOSTILE}-s4", "Errors", "layer-consumer-s4")
    names = [
        ("s1", "Ada", "A"),
        ("s2", "Grace", "A"),
        ("s3", "<b>bold</b>", "B"),
        ("s4", 'x" onmouseover="alert(2)', "B"),
        ("s5", HOSTILE, "A"),
        ("away", "Away", "B"),
        ("new", "New", "A"),
    ]
    rows = [RosterRow(i, sid, extra=(("Name", n), ("Section", sec))) for i, (sid, n, sec) in enumerate(names, 2)]
    graded = grade_roster(
        ASSESSMENT, rows, Opened(lambda row: WorldAccount(world)), hooks=Hooks(finish_under_way=False)
    )
    extra = {r.student_id: r.extra for r in rows}
    outcomes = [replace(o, extra=extra[o.student_id]) for o in graded]
    return [
        *outcomes,
        Outcome("ghost", error="cannot assume the role: AccessDenied", extra=(("Name", "G"), ("Section", "C"))),
    ]


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return class_outcomes()


@pytest.fixture(scope="module")
def page(outcomes: list[Outcome]) -> str:
    return many("lambda_medium", outcomes, summarize(outcomes))


def test_the_page_asks_nothing_of_anywhere(page: str) -> None:
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert policy is not None and "default-src &#x27;none&#x27;" in policy.group(1)
    assert not re.search(r"""\s(?:src|srcset|action|data)=""", page)  # no image, script or form from elsewhere
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', page))  # links within the page only
    assert "@import" not in page and "url(" not in page


def test_every_value_is_text_never_markup(page: str) -> None:
    assert HOSTILE not in page and "<b>bold</b>" not in page  # escaped wherever it is shown
    assert html_text(HOSTILE) in page and html_text('x" onmouseover="alert(2)') in page
    assert 'onmouseover="alert' not in page


def html_text(value: str) -> str:
    import html

    return html.escape(value, quote=True)


def test_one_students_page_is_their_report_with_the_block(outcomes: list[Outcome]) -> None:
    report = next(o.report for o in outcomes if o.student_id == "s2")
    assert report is not None
    text = one(report)
    assert "<h1>lambda_medium — s2</h1>" in text and 'class="fix"' in text
    block = re.sub(r" \\\n\s*", " ", text)  # the block's long commands go on over lines, as pasted
    assert "update-function-configuration --function-name layer-consumer-s2 --memory-size 256" in block
    assert "<script>" not in text  # one student's page needs no script


def test_the_command_line_writes_a_page_for_a_class_and_infers_it_from_the_file_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from checks.cli import main

    assert main(["lambda_medium", "--demo", "--output", str(tmp_path / "s1.html")]) == 0
    assert (tmp_path / "s1.html").read_text().startswith("<!doctype html>")
    assert main(["show", str(ROOT / "tests" / "snapshots" / "sample.json"), "--format", "html"]) in (0, 1, 3)
    assert capsys.readouterr().out.startswith("<!doctype html>")


# -- in a real browser ------------------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI runs the browser test: .ci/run installs chromium and playwright")
        pytest.skip("no headless Chromium here (apt-get install chromium; pip install playwright)")
    return sync_playwright


@pytest.mark.slow
def test_the_class_page_in_a_real_browser(outcomes: list[Outcome], page: str, tmp_path: Path) -> None:
    sync_playwright = _browser()
    path = tmp_path / "class.html"
    path.write_text(page, encoding="utf-8")
    gradebook = tmp_path / "grades.csv"
    write_gradebook(gradebook, outcomes, [t.number for t in ASSESSMENT.tasks])
    rows = list(csv.DictReader(io.StringIO(gradebook.read_text())))
    complete = [r for r in rows if r["complete"] == "true"]
    bins = [0] * 10
    for r in complete:
        bins[min(9, int(float(r["percent"]) // 10))] += 1
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*args, "--disable-sync", "--no-first-run"])
        view = browser.new_page(viewport={"width": 1100, "height": 900})
        errors: list[str] = []
        requests: list[str] = []
        dialogs: list[str] = []
        view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.on("request", lambda r: requests.append(r.url))
        view.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        view.goto(path.as_uri())
        view.wait_for_load_state("load")
        assert errors == [] and dialogs == []
        assert requests == [path.as_uri()]  # the page itself, and nothing else
        # The chart's numbers are the gradebook's.
        shown = [int(view.locator(f'#histogram td[data-bin="{i}"]').text_content() or "") for i in range(10)]
        assert shown == bins
        drawn = [int(x) for x in view.locator("svg rect").evaluate_all("els => els.map(e => e.dataset.count)")]
        assert drawn == bins
        for row in view.locator("#task-rates tbody tr").all():
            passed, graded = row.get_attribute("data-task"), row.locator("td.num")
            assert passed is not None and graded.get_attribute("data-graded")
        # Every student's link lands on their section.
        links = view.locator("#students tbody th a")
        assert links.count() == len(outcomes)
        for i in range(links.count()):
            link = links.nth(i)
            target = link.get_attribute("href")
            assert target is not None
            link.click()
            assert view.evaluate("location.hash") == target
            section = view.locator(target)
            assert section.locator("h3").inner_text() == link.inner_text()
            assert section.is_visible()
        # Hostile values show as written, and ran nothing.
        text = view.locator("body").inner_text()
        assert HOSTILE in text and "<b>bold</b>" in text and 'x" onmouseover="alert(2)' in text
        view.locator("#students tbody tr", has_text="s4").first.hover()
        assert dialogs == []
        # The students' table sorts by score, lowest first, with a click.
        view.locator("#students thead button", has_text="Score").click()
        scores = view.locator("#students tbody td.num").evaluate_all("els => els.map(e => +e.dataset.sort)")
        assert scores == sorted(scores)
        view.evaluate("window.scrollTo(0, 0)")
        view.screenshot(path=str(tmp_path / "class.png"))
        if os.environ.get("UPDATE_SNAPSHOTS"):
            SNAPSHOT.write_bytes((tmp_path / "class.png").read_bytes())
        browser.close()
    assert SNAPSHOT.exists()  # the picture kept for review, and shown in the README
