"""A student opens the feedback HTML of a real lesson with the network cut: the math renders.

The feedback is made by the real tool (`backprop-grade all` on a course with lesson 01 and one
submission, the solutions). Chromium opens the file with every request that is not `file:` or
localhost aborted (and recorded). The page must ask for nothing, show the lesson's formulas as
rendered MathML (laid out by the browser's MathML engine, with a size on screen), and show no
raw `$...$` TeX. Screenshots: artifacts/browser/feedback_offline/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from browser_env import REPO

LESSON = "01_single_neuron"


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("offline-course").resolve()
    shutil.copytree(REPO / "source" / LESSON, root / "source" / LESSON)
    sub = root / "incoming" / "ada" / LESSON
    sub.mkdir(parents=True)
    nb = nbformat.read(REPO / "source" / LESSON / f"{LESSON}.ipynb", as_version=4)
    nbformat.write(nb, sub / f"{LESSON}.ipynb")  # the solutions: a complete submission
    (sub / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    exe = Path(sys.executable).with_name("backprop-grade")
    proc = subprocess.run(
        [str(exe), "--no-progress", "--course-dir", str(root), "all"]
        + ["--from", str(root / "incoming"), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "BACKPROP_GRADING_SEED": "7"},
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    page = root / "feedback" / "ada" / LESSON / f"{LESSON}.html"
    assert page.is_file(), sorted(str(p) for p in root.rglob("*.html"))
    return page


def _offline(context) -> list[str]:
    """Abort every request that would leave the machine; returns the list of those asked for."""
    asked: list[str] = []

    def handle(route):
        url = route.request.url
        host = urlparse(url).hostname or ""
        if url.startswith(("file:", "data:", "about:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            asked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", handle)
    return asked


def test_feedback_math_renders_with_the_network_blocked(feedback_page, browser_page, artifacts_dir):
    page, console = browser_page
    shots = artifacts_dir / "feedback_offline"
    shots.mkdir(exist_ok=True)
    asked = _offline(page.context)
    page.goto(feedback_page.as_uri(), wait_until="load")
    page.wait_for_timeout(500)  # any late script would have asked by now

    maths = page.locator("math")
    n = maths.count()
    assert n >= 20, f"only {n} <math> elements in the feedback of {LESSON}"
    # Laid out by the browser's MathML engine (display: math / block math), with a size.
    layout = page.evaluate(
        """() => Array.from(document.querySelectorAll('math')).map(m => {
            const r = m.getBoundingClientRect();
            return [getComputedStyle(m).display, r.width, r.height,
                    m.getAttribute('display') || 'inline'];
        })"""
    )
    displays = {d for d, *_ in layout}
    assert displays <= {"math", "block math", "inline math"}, displays
    assert all(w > 0 and h > 0 for _, w, h, _ in layout), "a formula has no size on screen"
    assert any(kind == "block" for *_, kind in layout), "no display formula rendered"
    # Fractions and subscripts are real MathML structure, not text.
    assert page.locator("math mfrac").count() > 0 and page.locator("math msub").count() > 0

    # No raw TeX left in the prose (code cells and inline code may contain dollars).
    prose = page.evaluate(
        """() => {
            const clone = document.body.cloneNode(true);
            clone.querySelectorAll('pre, code, math, script, style, .jp-CodeCell .jp-InputArea')
                 .forEach(e => e.remove());
            return clone.innerText;
        }"""
    )
    raw_tex = re.findall(r"\$[^$\n]{0,40}\\[A-Za-z]+[^$\n]{0,40}\$", prose)
    assert not raw_tex, f"raw TeX in the rendered page: {raw_tex[:5]}"
    assert "\\frac" not in prose and "\\mathbf" not in prose
    maths_text = page.evaluate(
        "() => Array.from(document.querySelectorAll('math')).map(m => m.textContent).join(' ')"
    )
    assert "&#" not in maths_text and "&#" not in prose, "an HTML entity shows as text"
    assert "=" in maths_text and "\u2202" in maths_text  # operators decoded: = and the partial

    first = maths.first
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "feedback_math_offline.png"))
    page.locator("math[display='block']").first.screenshot(path=str(shots / "display_math.png"))

    assert asked == [], f"the feedback page tried the network: {asked}"
    assert console.errors == [], console.errors


_REPO = Path(__file__).resolve().parents[2]


def test_feedback_opens_with_the_summary_table(feedback_page, browser_page):
    """The first thing on the page is the results table; every section link lands on a heading."""
    page, console = browser_page
    asked = _offline(page.context)
    page.goto(feedback_page.as_uri(), wait_until="load")
    rows = page.evaluate(
        """() => {
            const t = document.querySelector('table');
            const cells = r => Array.from(r.querySelectorAll('th, td'))
                                    .map(c => c.innerText.trim());
            const head = document.querySelector('h2');
            return {first_h2: head ? head.innerText : '',
                    table_after_h2: !!(head && head.compareDocumentPosition(t) & 4),
                    rows: Array.from(t.querySelectorAll('tr')).map(cells),
                    hrefs: Array.from(t.querySelectorAll('a')).map(a => a.getAttribute('href'))};
        }"""
    )
    assert rows["first_h2"].startswith("Your results") and rows["table_after_h2"], rows
    header, *body = rows["rows"]
    assert header == ["exercise", "points", "what went wrong", "lesson section"], header
    # the autograded exercises of the lesson (written answers are graded by hand)
    src = nbformat.read(str(_REPO / "source" / "01_single_neuron" / "01_single_neuron.ipynb"), 4)
    graded = {
        c.metadata["nbgrader"]["grade_id"]
        for c in src.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    }
    auto = {r[0]: r for r in body if r[0] in graded}
    assert set(auto) == graded and len(graded) >= 4, (sorted(auto), sorted(graded))
    for ex, (_, points, wrong, section) in auto.items():
        got, _, out_of = points.partition(" / ")
        assert got == out_of and wrong == "\u2014", (ex, points, wrong)  # the solutions: full
        assert section.startswith("1."), (ex, section)
    for href in rows["hrefs"]:
        target = page.locator(f"[id='{href[1:]}']")
        assert target.count() == 1, f"summary link {href} lands nowhere"
    page.locator("table a").first.click()
    assert page.evaluate("() => location.hash") == rows["hrefs"][0]
    assert asked == [] and console.errors == [], (asked, console.errors)
