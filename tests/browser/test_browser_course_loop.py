"""The student's and the instructor's JupyterLab, end to end, in headless Chromium.

One test, the whole loop, because each step needs the previous one's state:

 student     open JupyterLab -> Assignment List -> Fetch -> open the lesson -> Run All (the stub
             raises NotImplementedError, the plot renders as an <img>) -> type a correct answer
             and a known misconception -> run their visible tests (the diagnosis names the
             misconception) -> Validate -> Submit
 instructor  collect + autograde with the project's grading tool -> formgrader (in Lab's iframe)
             shows the submission: the correct exercise full points, the wrong one 0/partial
             -> generate + release feedback
 student     Fetch Feedback -> open it: the diagnosis is there, the hidden tests are not

Screenshots of every step: artifacts/browser/NN_step.png. Any browser console error or page error
not in allowlist.py fails the test. Set BACKPROP_BROWSER_TOY=1 to run the same loop on a toy
lesson (harness debugging, independent of the lessons).
"""

from __future__ import annotations

import getpass
import os
import re
import time

import pytest
from browser_course import L01, TOY, Instructor, LessonPlan, hidden_test_lines
from browser_env import COURSE_ID, JupyterUser
from browser_ui import (
    LONG,
    SHORT,
    Shots,
    all_outputs_text,
    assignment_row,
    cell_by_text,
    click_row_button,
    close_dialog,
    menu,
    open_assignment_list,
    open_in_filebrowser,
    open_lab,
    run_all,
    run_cell,
    save,
    set_cell_source,
    show_filebrowser,
    wait_dialog,
    wait_kernel_idle,
    wait_notebook_open,
    wait_until,
)

# An error (traceback) output in JupyterLab's output area.
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


class SoftChecks:
    def __init__(self):
        self.failures: list[str] = []

    def check(self, ok, message: str):
        if not ok:
            self.failures.append(message)

    def assert_all(self):
        assert not self.failures, "\n\n".join(self.failures)


class Timer:
    """Elapsed time per step, rewritten to artifacts/browser/timings.txt at every mark."""

    def __init__(self, path):
        self.t0 = time.monotonic()
        self.path = path
        self.marks: list[tuple[str, float]] = []

    def mark(self, what: str):
        self.marks.append((what, time.monotonic() - self.t0))
        self.path.write_text(self.report() + "\n")

    def report(self) -> str:
        lines, prev = [], 0.0
        for what, t in self.marks:
            lines.append(f"  {t:6.1f}s (+{t - prev:5.1f}s) {what}")
            prev = t
        return "\n".join(lines)


def _plan() -> tuple[LessonPlan, bool]:
    toy = os.environ.get("BACKPROP_BROWSER_TOY", "") not in ("", "0")
    return (TOY, True) if toy else (L01, False)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_student_fetches_works_submits_and_reads_feedback(
    tmp_path, lab_servers, browser_page, artifacts_dir
):
    plan, toy = _plan()
    timer = Timer(artifacts_dir / "timings.txt")
    page, console = browser_page
    shots = Shots(artifacts_dir)
    soft = SoftChecks()  # checks that do not stop the loop: all are reported at the end

    course = tmp_path / "instructor" / "course"
    exchange = Instructor.exchange_of(course)
    student_user = JupyterUser("student", tmp_path / "student", exchange)
    instructor_user = JupyterUser("instructor", tmp_path / "instructor", exchange)
    instructor = Instructor.create(instructor_user, course, plan, toy)
    instructor.release(plan.assignment)
    timer.mark("instructor released the lesson to the exchange")

    # ------------------------------------------------------------------ student: fetch, open
    student_lab = lab_servers("student", student_user, student_user.home)
    timer.mark("student's jupyter lab up")
    open_lab(page, student_lab.url, student_lab.token)
    shots.take(page, "student_lab_open")
    timer.mark("JupyterLab open in Chromium")

    open_assignment_list(page)
    row = assignment_row(page, "released_assignments_list", plan.assignment)
    shots.take(page, "assignment_list_released")
    click_row_button(row, "Fetch")
    row = assignment_row(page, "fetched_assignments_list", plan.assignment)
    shots.take(page, "assignment_fetched")
    # Exchange.path_includes_course: the student's copy is <home>/<course id>/<assignment>/.
    work_dir = student_user.home / COURSE_ID / plan.assignment
    assert (work_dir / plan.notebook).is_file()

    nb_name = plan.notebook.removesuffix(".ipynb")
    exact = re.compile(rf"^\s*{re.escape(nb_name)}\s*$")
    link = page.locator(
        "#fetched_assignments_list .assignment-notebooks .item_name a", has_text=exact
    )
    if not link.first.is_visible():  # the notebooks of an assignment are in a collapsed panel
        row.locator("a.assignment-notebooks-link").first.click()
    link = link.first
    link.wait_for(state="visible", timeout=SHORT)
    link.click()
    nb = wait_notebook_open(page, plan.notebook)
    kernel = wait_kernel_idle(page)
    assert "Python 3" in kernel, kernel
    shots.take(page, "lesson_open")
    timer.mark("lesson fetched and open, kernel idle")

    # ------------------------------------------------------------------ Run All: stub + plots
    run_all(page)
    wait_until(
        lambda: plan.stub_error in all_outputs_text(nb),
        f"the stub's {plan.stub_error} in an output",
        timeout_ms=SHORT,
    )
    img = nb.locator(".jp-OutputArea-output img").first
    img.wait_for(state="attached", timeout=SHORT)
    assert (img.get_attribute("src") or "").startswith("data:image/png"), "plot is not an image"
    img.scroll_into_view_if_needed()
    shots.take(page, "run_all_plot_rendered")
    error_cell = nb.locator(
        ".jp-CodeCell", has=page.locator(".jp-OutputArea-output", has_text=plan.stub_error)
    ).first
    error_cell.scroll_into_view_if_needed()
    shots.take(page, "run_all_stub_fails")
    timer.mark("Run All: stub failed, plot rendered")

    # ------------------------------------------------------------------ answers + visible tests
    verdicts = {}
    for answer in (plan.wrong, plan.correct):
        set_cell_source(page, cell_by_text(nb, answer.answer_anchor), answer.source)
        run_cell(page, cell_by_text(nb, answer.answer_anchor))
        test_cell = cell_by_text(nb, answer.test_anchor)
        text = run_cell(page, test_cell)
        raised = test_cell.locator(ERROR_OUTPUT).count() > 0
        verdicts[answer.grade_id] = (text, raised)
        test_cell.scroll_into_view_if_needed()
        shots.take(page, f"visible_test_{answer.grade_id}")
    (wrong_text, wrong_raised), (right_text, right_raised) = (
        verdicts[plan.wrong.grade_id],
        verdicts[plan.correct.grade_id],
    )
    assert re.search(plan.diagnosis, wrong_text), f"no diagnosis in:\n{wrong_text}"
    assert "\u2718" in wrong_text and wrong_raised, f"the wrong answer's test passed:\n{wrong_text}"
    assert "\u2718" not in right_text and not right_raised, (
        f"the right answer failed:\n{right_text}"
    )
    save(page)
    timer.mark("answers typed, visible tests run, saved")

    # ------------------------------------------------------------------ Validate
    page.locator(".validate-button").first.click()
    header, body, dialog = wait_dialog(page, timeout_ms=LONG * 2)
    shots.take(page, "validate_result")
    # The other exercises are still stubs and one answer is wrong: validation must fail.
    assert "Success" not in body, body
    assert plan.stub_error in body or "failed" in (header + body).lower(), header + body
    close_dialog(dialog)
    timer.mark("validated")

    # ------------------------------------------------------------------ Submit
    open_assignment_list(page)
    row = assignment_row(page, "fetched_assignments_list", plan.assignment)
    click_row_button(row, "Submit")
    assignment_row(page, "submitted_assignments_list", plan.assignment)
    shots.take(page, "submitted")
    inbound = exchange / "backprop" / "inbound"
    wait_until(
        lambda: any(inbound.glob(f"{getpass.getuser()}+{plan.assignment}+*")),
        "the submission in the exchange's inbound",
        timeout_ms=SHORT,
    )
    timer.mark("submitted")
    soft.check(not console.errors, f"console errors on the student's side: {console.errors}")

    # ------------------------------------------------------------------ instructor: grade
    graded = instructor.collect_and_autograde(plan.assignment)
    if not toy:  # backprop-grade reports per-submission failures as warnings, exit code 0
        assert "autograded 1/1" in graded and "not graded" not in graded, graded
    timer.mark("collected + autograded")
    instructor_lab = lab_servers("instructor", instructor_user, instructor.course)
    open_lab(page, instructor_lab.url, instructor_lab.token)
    menu(page, "Nbgrader", "nbgrader:open-formgrader")
    fg = page.frame_locator("iframe").first
    fg.locator("a", has_text=plan.assignment).first.wait_for(timeout=LONG)
    shots.take(page, "formgrader_assignments")
    student = getpass.getuser()
    scores = formgrader_scores(page, plan, student, shots)
    timer.mark("formgrader shows the scores")
    soft.check(
        scores[plan.correct.grade_id] == pytest.approx(plan.correct.points),
        f"the correct answer ({plan.correct.grade_id}) is not given full points: {scores}",
    )
    soft.check(
        scores[plan.untouched.grade_id] == 0,
        f"an exercise left as the stub ({plan.untouched.grade_id}) earned points: {scores}",
    )
    lo, hi = plan.wrong_score
    soft.check(
        lo <= scores[plan.wrong.grade_id] <= hi,
        f"the wrong answer ({plan.wrong.grade_id}) should score in [{lo}, {hi}]: {scores}",
    )

    instructor.feedback(plan.assignment)
    timer.mark("feedback generated and released")

    # ------------------------------------------------------------------ student: feedback
    open_lab(page, student_lab.url, student_lab.token)
    open_assignment_list(page)
    row = assignment_row(page, "submitted_assignments_list", plan.assignment)
    click_row_button(row, "Fetch Feedback")
    view = page.locator("#submitted_assignments_list a", has_text="view feedback").first
    wait_until(
        lambda: view.is_visible() or (page.locator("#refresh_assignments_list").click() and False),
        "the '(view feedback)' link",
        timeout_ms=LONG,
        interval=2.0,
    )
    shots.take(page, "feedback_fetched")
    feedback_dir = work_dir / "feedback"
    html_files = list(feedback_dir.glob(f"*/{nb_name}.html"))
    assert html_files, f"no feedback HTML under {feedback_dir}"
    view.click()
    show_filebrowser(page)
    open_in_filebrowser(page, f"{nb_name}.html")
    frame, text = feedback_text(page, nb_name)
    shots.take(page, "feedback_open")
    try:  # show the wrong exercise's diagnosis in the next screenshot
        frame.get_by_text(re.compile(plan.diagnosis)).first.scroll_into_view_if_needed(
            timeout=SHORT
        )
    except Exception:  # noqa: BLE001 - the text check below reports a missing diagnosis
        pass
    shots.take(page, "feedback_diagnosis")
    soft.check(
        re.search(plan.diagnosis, text), f"diagnosis missing from the feedback:\n{text[:3000]}"
    )
    html = html_files[0].read_text()
    source_nb = instructor.course / "source" / plan.assignment / plan.notebook
    hidden = hidden_test_lines(source_nb)
    assert hidden, f"no hidden tests found in {source_nb}"
    for marker in (*plan.hidden_markers, *(hidden if plan.feedback_hides_hidden else ())):
        if plan.feedback_hides_hidden:
            soft.check(marker not in text, f"hidden test text {marker!r} shown in the feedback")
            soft.check(marker not in html, f"hidden test text {marker!r} in the feedback HTML")
        else:  # the toy, graded by stock nbgrader: the leak must be seen
            soft.check(marker in text, f"stock nbgrader's feedback leak of {marker!r} not seen")
    timer.mark("feedback read")
    soft.check(not console.errors, "browser console errors:\n" + "\n".join(console.errors))
    print(f"\nbrowser loop timings ({plan.assignment}):\n{timer.report()}")
    print("console errors allowlisted:", *console.allowed, sep="\n  ")
    soft.assert_all()


def formgrader_scores(page, plan: LessonPlan, student: str, shots: Shots) -> dict[str, float]:
    """Navigate the formgrader (inside Lab's iframe) to the submission; read the auto scores."""
    fg = page.frame_locator("iframe").first
    # Manage Assignments -> the assignment's submissions (its "# submissions" link).
    fg.locator("tr", has_text=plan.assignment).locator("td.num-submissions a").first.click()
    row = fg.locator("tr", has=fg.locator("td.student-id", has_text=student)).first
    row.wait_for(state="attached", timeout=LONG)
    shots.take(page, "formgrader_submissions")
    status = row.locator("td.status").inner_text(timeout=SHORT).strip()
    # Not "needs autograding": the grading tool's results must be what the formgrader shows
    # (its own autograde button is never pressed here).
    assert status == "graded", f"formgrader status of the submission: {status!r}"
    row.locator("td.student-name a").first.click()
    nb_link = fg.locator("a", has_text=plan.notebook.removesuffix(".ipynb")).first
    nb_link.wait_for(timeout=LONG)
    shots.take(page, "formgrader_student")
    nb_link.click()
    scores = {}
    for answer in (plan.correct, plan.wrong, plan.untouched):
        box = fg.locator(f"input.score#{answer.grade_id}")
        box.wait_for(state="attached", timeout=LONG)
        value = wait_until(
            lambda box=box: box.get_attribute("placeholder"),
            f"the auto score of {answer.grade_id}",
            timeout_ms=SHORT,
        )
        scores[answer.grade_id] = float(value)
    fg.locator(f"input.score#{plan.wrong.grade_id}").scroll_into_view_if_needed()
    shots.take(page, "formgrader_scores")
    return scores


def feedback_text(page, nb_name: str):
    """(frame, text) of the feedback HTML opened in Lab's HTML viewer (an iframe)."""

    def read():
        for frame in page.frames:
            if frame is page.main_frame:
                continue
            try:
                text = frame.locator("body").inner_text(timeout=2_000)
            except Exception:  # noqa: BLE001 - frames come and go while Lab renders
                continue
            if nb_name in text and "Score" in text:
                return frame, text
        return None

    return wait_until(read, "the feedback HTML in the HTML viewer", timeout_ms=LONG)
