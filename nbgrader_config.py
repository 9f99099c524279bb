"""nbgrader configuration of the course (the repository root is the course directory).

The grading pipeline is stock nbgrader with preprocessors of ours plugged in through traitlets,
so the stock `nbgrader autograde` and our `backprop-grade` grade identically:

sanitize:  CanonicalizeSubmission rebuilds the notebook from the instructor's source, taking only
           the student's answer cells (tampered, duplicated or deleted test cells are harmless).
autograde: SandboxedExecute runs the kernel under bubblewrap (no network, no view of the course,
           the reference or the gradebook; CPU, memory, task, file and output limits);
           TrustedScores scores each test cell from the numbers the student's functions produced
           on fresh inputs, checked in this (trusted) process against the reference;
           IntegrityReport records every flag raised on the way.
feedback:  HideHiddenTests + RedactHiddenOutputs keep hidden tests out of the students' HTML.
HTML:      MathToMathML renders the math of feedback and formgrader pages to MathML on the server
           and our base/mathjax.html.j2 replaces nbconvert's CDN MathJax: no network needed.

The grading seed (which fresh inputs each exercise gets) defaults to the environment variable
BACKPROP_GRADING_SEED, else 0; set it to a secret of the course for real grading.
"""

from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from autograder.grading.execution.sandboxed_execute import SandboxedExecute
from autograder.grading.integrity import IntegrityReport
from autograder.grading.reporting.feedback import FEEDBACK_PREPROCESSORS
from autograder.grading.reporting.math_to_mathml import (
    HTML_TEMPLATES,
    NBGRADER_TEMPLATES,
    MathToMathML,
)
from autograder.grading.scoring.canonicalize import CanonicalizeSubmission
from autograder.grading.scoring.late_policy import CourseLatePolicy
from autograder.grading.scoring.trusted_scores import TrustedScores

c = get_config()  # noqa: F821  (injected by traitlets)

c.CourseDirectory.course_id = "backprop"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

c.Autograde.sanitize_preprocessors = [
    CanonicalizeSubmission,
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    TrustedScores,
    IntegrityReport,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
# Due dates, extensions and the late penalty: course.toml at the course root (late_policy.py).
c.AssignLatePenalties.plugin_class = CourseLatePolicy
c.SandboxedExecute.kernel_name = "python3"
c.SandboxedExecute.timeout = 60  # seconds per cell
c.SandboxedExecute.notebook_timeout = 600.0  # seconds per notebook

# Feedback never shows hidden tests (stock nbgrader leaks them: upstream #917).
c.GenerateFeedback.preprocessors = list(FEEDBACK_PREPROCESSORS)
c.HideHiddenTests.enforce_metadata = False

# Math without network (feedback HTML and the formgrader: both use nbconvert's HTMLExporter).
c.HTMLExporter.preprocessors = [MathToMathML]
c.HTMLExporter.extra_template_basedirs = [str(HTML_TEMPLATES), str(NBGRADER_TEMPLATES)]
