"""IntegrityReport and the class-wide integrity report.

``IntegrityReport``: nbgrader preprocessor, after ``TrustedScores`` and before ``SaveAutoGrades``:
zeroes the test cell of an exercise that used a forbidden shortcut, and writes
``integrity/<assignment>/<student>/<notebook>.json`` in the course dir.
``build_report(course_dir)`` gathers every fragment into ``integrity/report.json`` and
``integrity/report.md`` (the grading tool prints the Markdown).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.grading.integrity.flags import INTEGRITY_DIR, METADATA_KEY, SEVERITY
from autograder.grading.integrity.flags import dedupe as _dedupe
from autograder.grading.integrity.flags import flag as _flag
from autograder.grading.integrity.flags import write_fragment as _write_fragment


# --------------------------------------------------------------------------------------------
# The preprocessor and the report
# --------------------------------------------------------------------------------------------
def _zero_cell(cell: NotebookNode, reason: str, resources: dict | None = None) -> None:
    """0 points in the cell's output AND in TrustedScores' summary of it (the cell metadata and
    resources["backprop"]), which feedback and the class report read: all say the same score."""
    summary = cell.get("metadata", {}).get("backprop")
    if isinstance(summary, dict):
        zeroed = {
            **summary,
            "score": 0.0,
            "fraction": 0.0,
            "components": {k: False for k in summary.get("components") or {}},
            "integrity": reason,
        }
        cell.metadata["backprop"] = zeroed
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        cells = (resources or {}).get("backprop", {}).get("cells")
        if isinstance(cells, dict) and grade_id in cells:
            cells[grade_id] = zeroed
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"0 points: {reason}\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "0"}, execution_count=None),
    ]


class IntegrityReport(NbGraderPreprocessor):
    """Enforce and record integrity findings (after TrustedScores, before SaveAutoGrades)."""

    course_root = Unicode("", help="Course dir for the report (default: CourseDirectory.root)").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources.get("nbgrader", {})
        name = info.get("notebook", resources.get("unique_key", "notebook"))
        meta = nb.metadata.get(METADATA_KEY, {})
        flags = list(meta.get("flags", []))
        shortcuts = meta.get("shortcuts", {}) or {}
        flags += [{**f, "notebook": name} for f in shortcuts.get("flags", [])]
        flags += [{**f, "notebook": name} for f in resources.get("integrity", {}).get("flags", [])]
        if not meta:
            flags.append(_flag("suspicious", "the notebook was not canonicalized", name))
        for ex_id, found in (shortcuts.get("forbidden") or {}).items():
            reason = f"{ex_id} {found['rule']}; found {found['uses'][0]}"
            for cell in nb.cells:
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == ex_id:
                    _zero_cell(cell, reason, resources)
        flags = _dedupe([{"notebook": name, "cell": "", **f} for f in flags])
        nb.metadata[METADATA_KEY] = {**meta, "flags": flags}
        root = Path(self.course_root or CourseDirectory(config=self.config).root)
        if info.get("assignment") and info.get("student"):
            _write_fragment(root, info["assignment"], info["student"], name, flags)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):  # pragma: no cover - unused
        return cell, resources


def build_report(course_dir: str | os.PathLike) -> dict:
    """Gather every fragment into integrity/report.json and report.md; returns the data."""
    root = Path(course_dir) / INTEGRITY_DIR
    data: dict[str, dict[str, list[dict]]] = {}
    if root.is_dir():
        for frag in sorted(root.glob("*/*/*.json")):
            assignment, student = frag.parent.parent.name, frag.parent.name
            try:
                flags = json.loads(frag.read_text())["flags"]
            except (ValueError, KeyError, OSError):
                continue
            data.setdefault(assignment, {}).setdefault(student, []).extend(flags)
    root.mkdir(parents=True, exist_ok=True)
    (root / "report.json").write_text(json.dumps(data, indent=1, sort_keys=True))
    (root / "report.md").write_text(format_markdown(data))
    return data


def format_markdown(data: dict) -> str:
    lines = ["# Grading integrity report", ""]
    if not any(flags for subs in data.values() for flags in subs.values()):
        return "\n".join(lines + ["No integrity problem found.", ""])
    for assignment in sorted(data):
        lines += [f"## {assignment}", ""]
        for student in sorted(data[assignment]):
            flags = data[assignment][student]
            if not flags:
                continue
            worst = "zero" if any(SEVERITY.get(f["code"]) == "zero" for f in flags) else "warn"
            lines.append(f"### {student} ({'points lost' if worst == 'zero' else 'warnings'})")
            lines.append("")
            for f in flags:
                where = " / ".join(x for x in (f.get("notebook", ""), f.get("cell", "")) if x)
                lines.append(f"- `{f['code']}` {where + ': ' if where else ''}{f['reason']}")
            lines.append("")
    return "\n".join(lines)
