"""RedactHiddenOutputs: outputs can quote hidden code too; redact it.

A traceback of a failing hidden line, or a student's later cell printing IPython's ``In`` history,
can quote hidden test code. In grade cells a traceback becomes its last line
(``Error: message``); in every cell, any output text containing a hidden line (as remembered by
``HideHiddenTests``) has that line replaced by a placeholder.
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from autograder.grading.reporting.hide_hidden_tests import _ANSI, PLACEHOLDER


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
