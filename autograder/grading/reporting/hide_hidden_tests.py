"""HideHiddenTests: nbgrader's ClearHiddenTests, remembering every hidden line it removes.

nbgrader's GenerateFeedback renders the *autograded* notebook, whose test cells have the hidden
tests put back (stock nbgrader leaks them: upstream #917, #1363). This removes the
``### BEGIN/END HIDDEN TESTS`` regions and keeps the removed lines in
``resources["backprop"]["hidden_lines"]`` for ``RedactHiddenOutputs``.
"""

from __future__ import annotations

import re

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

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
