"""Students' feedback HTML without hidden tests (stock nbgrader leaks them: upstream #917, #1363).

nbgrader's GenerateFeedback renders the *autograded* notebook, whose test cells have the hidden
tests put back. Two preprocessors, added to `GenerateFeedback.preprocessors` after GetGrades:

- `HideHiddenTests`: nbgrader's ClearHiddenTests (removes the `### BEGIN/END HIDDEN TESTS`
  region from the sources) that first remembers every line it removes.
- `RedactHiddenOutputs`: outputs can quote hidden code too (a traceback of a failing hidden
  line, or a student's later cell printing IPython's `In` history). In grade cells a traceback
  becomes its last line (`Error: message`); in every cell, any output text containing a hidden
  line has that line replaced by a placeholder.

`FeedbackSummary` (after GetGrades) puts a table on top: exercise, points, named misconception,
link to the lesson section.

The diagnosis TrustedScores writes into test cells (stdout) stays: it names what failed and why.
"""

from __future__ import annotations

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from autograder.grading.reporting.feedback_summary import FeedbackSummary
from autograder.grading.reporting.hide_hidden_tests import HideHiddenTests
from autograder.grading.reporting.redact_hidden_outputs import RedactHiddenOutputs

FEEDBACK_PREPROCESSORS = [
    GetGrades,
    FeedbackSummary,
    HideHiddenTests,
    RedactHiddenOutputs,
    CSSHTMLHeaderPreprocessor,
]


def feedback_config(cfg):
    """Add our preprocessors to GenerateFeedback in the traitlets config (returns cfg)."""
    cfg.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)
    cfg.HideHiddenTests.enforce_metadata = False
    return cfg
