"""FeedbackSummary: the table on top of the feedback (exercise, points, misconception, link)."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.grading.reporting.feedback_summary import SUMMARY_TAG, FeedbackSummary


def _graded(grade_id, score, points, misconceptions=()):
    cell = new_code_cell(f'check("{grade_id}")')
    cell.metadata["nbgrader"] = {
        "grade": True, "solution": False, "locked": True, "grade_id": grade_id,
        "score": score, "points": points,
    }  # fmt: skip
    cell.metadata["backprop"] = {"misconceptions": list(misconceptions)}
    return cell


def test_summary_table_rows():
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Lesson 1\n## 1.2 ReLU and its derivative"),
            _graded("l01_relu", 1.0, 2.0, ["derivative_as_activation"] * 2),
            new_markdown_cell("## 1.3 The forward pass"),
            _graded("l01_neuron_forward", 2.0, 2.0),
            new_code_cell("x = 1"),  # not graded: no row
        ]
    )
    nb, _ = FeedbackSummary().preprocess(nb, {})
    nb, _ = FeedbackSummary().preprocess(nb, {})  # twice: still one table
    tops = [c for c in nb.cells if SUMMARY_TAG in c.metadata.get("tags", [])]
    assert len(tops) == 1 and nb.cells[0] is tops[0]
    lines = nb.cells[0].source.splitlines()
    assert "**3 / 4 points.**" in nb.cells[0].source
    assert "| exercise | points | what went wrong | lesson section |" in lines
    assert (
        "| l01_relu | 1 / 2 | the derivative used as the activation | "
        "[1.2 ReLU and its derivative](#1.2-ReLU-and-its-derivative) |"
    ) in lines
    assert (
        "| l01_neuron_forward | 2 / 2 | \u2014 | [1.3 The forward pass](#1.3-The-forward-pass) |"
    ) in lines


def test_report_catalogue_in_a_fresh_process_has_every_lessons_entries():
    """`backprop-grade report` alone in a new process names misconceptions by their titles,
    also those a lesson's solution module defines (l07's he_without_factor_two)."""
    import subprocess
    import sys

    code = (
        "from autograder.grading.reporting.class_report import _catalogue\n"
        "c = _catalogue()\n"
        "print(c['he_without_factor_two'].title, c['linear_bias'].title)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-1000:]
    assert "he_without_factor_two" not in out.stdout and out.stdout.strip()
