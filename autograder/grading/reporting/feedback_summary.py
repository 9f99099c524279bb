"""FeedbackSummary: a table at the top of the feedback, so a student sees at once what was wrong.

One row per graded cell: the exercise, the points (as GetGrades put them in the cell's nbgrader
metadata), the misconceptions TrustedScores named (cell metadata ``backprop``), and a link to
the lesson section the cell sits in (its nearest ``## `` heading above; the anchor is the one
nbconvert gives headings: the text with spaces as ``-``). Runs after GetGrades.
"""

from __future__ import annotations

import re

from nbformat.v4 import new_markdown_cell
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

SUMMARY_TAG = "backprop-feedback-summary"
_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.M)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fmt(x) -> str:
    return "" if x is None else f"{round(float(x), 4):g}"


def summary_rows(nb) -> list[dict]:
    rows, section = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            headings = _HEADING.findall(cell.source)
            if headings:
                section = headings[-1]
        if not utils.is_grade(cell):
            continue
        md = cell.metadata.get("nbgrader", {})
        verdict = cell.metadata.get("backprop", {})
        rows.append(
            {
                "exercise": md.get("grade_id", ""),
                "score": md.get("score"),
                "points": md.get("points"),
                "misconceptions": list(verdict.get("misconceptions", [])),
                "section": section,
            }
        )
    return rows


def summary_markdown(rows: list[dict]) -> str:
    from autograder.grading.reporting.class_report import misconception_label

    total = sum(float(r["score"] or 0) for r in rows)
    out_of = sum(float(r["points"] or 0) for r in rows)
    lines = [
        "## Your results",
        "",
        f"**{_fmt(total)} / {_fmt(out_of)} points.** Each exercise below links to its lesson "
        "section; the notebook with the grader's comments follows.",
        "",
        "| exercise | points | what went wrong | lesson section |",
        "|---|---:|---|---|",
    ]
    for r in rows:
        score = "not graded yet" if r["score"] is None else _fmt(r["score"])
        full = r["score"] is not None and float(r["score"]) >= float(r["points"] or 0)
        wrong = ", ".join(dict.fromkeys(misconception_label(m) for m in r["misconceptions"]))
        wrong = wrong or ("\u2014" if full or r["score"] is None else "see the comment below")
        link = ""
        if r["section"]:
            link = f"[{_cell(r['section'])}](#{r['section'].replace(' ', '-')})"
        lines.append(
            f"| {_cell(r['exercise'])} | {score} / {_fmt(r['points'])} | {_cell(wrong)} | {link} |"
        )
    return "\n".join(lines)


class FeedbackSummary(NbGraderPreprocessor):
    """Insert the summary table as the first cell of the feedback notebook."""

    def preprocess(self, nb, resources):
        nb.cells = [c for c in nb.cells if SUMMARY_TAG not in c.get("metadata", {}).get("tags", [])]
        rows = summary_rows(nb)
        if rows:
            cell = new_markdown_cell(summary_markdown(rows))
            cell.metadata["tags"] = [SUMMARY_TAG]
            nb.cells.insert(0, cell)
        return nb, resources
