"""Students' feedback HTML without hidden tests (stock nbgrader leaks them: upstream #917, #1363).

nbgrader's GenerateFeedback renders the *autograded* notebook, whose test cells have the hidden
tests put back. Two preprocessors, added to `GenerateFeedback.preprocessors` after GetGrades:

- `HideHiddenTests`: nbgrader's ClearHiddenTests (removes the `### BEGIN/END HIDDEN TESTS`
  region from the sources) that first remembers every line it removes.
- `RedactHiddenOutputs`: outputs can quote hidden code too (a traceback of a failing hidden
  line, or a student's later cell printing IPython's `In` history). In grade cells a traceback
  becomes its last line (`Error: message`); in every cell, any output text containing a hidden
  line has that line replaced by a placeholder.

The diagnosis TrustedScores writes into test cells (stdout) stays: it names what failed and why.
"""

from __future__ import annotations

import re
from pathlib import Path

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor
from traitlets import Integer

PLACEHOLDER = "[hidden test code]"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class HideHiddenTests(ClearHiddenTests):
    """ClearHiddenTests on the autograded notebook; hidden lines kept in resources."""

    def preprocess(self, nb, resources):
        self._hidden: list[str] = []
        nb, resources = super().preprocess(nb, resources)
        resources.setdefault("backprop", {})["hidden_lines"] = self._hidden
        return nb, resources

    def _remove_hidden_test_region(self, cell) -> bool:
        lines = cell.source.split("\n")
        inside = False
        for line in lines:
            if self.begin_test_delimeter in line:
                inside = True
            elif self.end_test_delimeter in line:
                inside = False
            elif inside and line.strip():
                self._hidden.append(line.strip())
        try:
            return super()._remove_hidden_test_region(cell)
        except RuntimeError:
            # Unbalanced markers (a tampered cell): drop everything after the first marker.
            src = cell.source
            cut = src.find(self.begin_test_delimeter)
            if cut >= 0:
                cell.source = src[: src.rfind("\n", 0, cut) + 1]
            return True

    def preprocess_cell(self, cell, resources, cell_index):
        removed = self._remove_hidden_test_region(cell)
        if removed and not utils.is_grade(cell):
            # Never fail feedback over metadata: the region is gone either way.
            self.log.warning("hidden test region in a non-grade cell %s", cell_index)
        return cell, resources


class RedactHiddenOutputs(NbGraderPreprocessor):
    """Remove any quotation of hidden test code from outputs (see module docstring)."""

    min_line_length = Integer(
        8, help="Hidden lines shorter than this are not searched for (e.g. 'else:')."
    ).tag(config=True)

    def preprocess(self, nb, resources):
        hidden = resources.get("backprop", {}).get("hidden_lines", [])
        self._needles = sorted(
            {h for h in hidden if len(h) >= self.min_line_length}, key=len, reverse=True
        )
        return super().preprocess(nb, resources)

    def _scrub(self, text: str) -> str:
        for needle in self._needles:
            if needle in text:
                text = text.replace(needle, PLACEHOLDER)
        return text

    def _scrub_any(self, value):
        if isinstance(value, str):
            return self._scrub(value)
        if isinstance(value, list):
            return [self._scrub_any(v) for v in value]
        if isinstance(value, dict):
            return {k: self._scrub_any(v) for k, v in value.items()}
        return value

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        grade = utils.is_grade(cell)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                if grade:
                    # A traceback of a test cell quotes its (hidden) lines: keep the verdict only.
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"]
                out["traceback"] = [self._scrub(_ANSI.sub("", t)) for t in out.get("traceback", [])]
                out["evalue"] = self._scrub(str(out.get("evalue", "")))
            elif out.get("output_type") == "stream":
                out["text"] = self._scrub(out.get("text", ""))
            elif "data" in out:
                for mime in list(out["data"]):
                    out["data"][mime] = self._scrub_any(out["data"][mime])
        return cell, resources


FEEDBACK_PREPROCESSORS = [
    GetGrades,
    HideHiddenTests,
    RedactHiddenOutputs,
    CSSHTMLHeaderPreprocessor,
]


def feedback_config(cfg):
    """Add our preprocessors to GenerateFeedback in the traitlets config (returns cfg)."""
    cfg.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)
    cfg.HideHiddenTests.enforce_metadata = False
    return cfg


def generate_feedback(api, jobs, progress=True) -> list[str]:
    """NbGraderAPI.generate_feedback for each (student, lesson); returns one-line problems."""
    from tqdm import tqdm

    problems = []
    for student, lesson in tqdm(jobs, desc="feedback", unit="nb", disable=not progress):
        res = api.generate_feedback(lesson, student, force=True)
        if not res.get("success"):
            log = (res.get("log") or "") + (res.get("error") or "")
            last = [ln for ln in log.strip().splitlines() if ln.strip()]
            problems.append(f"{student}/{lesson}: feedback failed ({last[-1] if last else '?'})")
    return problems


def feedback_files(course_dir: Path) -> list[Path]:
    return sorted((Path(course_dir) / "feedback").glob("*/*/*.html"))
