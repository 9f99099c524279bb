"""Values both sides of the grading boundary must agree on, written once.

The student side (``record``/``check``, shipped in the wheel) and the grader
(``autograder.grading``, never shipped) import these names from here; nothing here is secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

COURSE_ID = "backprop"

# record() emits one display_data of this MIME type per exercise; TrustedScores reads only it.
RECORD_MIME = "application/vnd.backprop.record+json"
RECORD_FORMAT = 1
# TrustedScores' machine-readable verdict of a test cell (read by feedback and the class report).
VERDICT_MIME = "application/vnd.backprop.verdict+json"

# The grading seed reaches the kernel through this environment variable.
SEED_ENV = "BACKPROP_GRADING_SEED"
DEFAULT_SEED = 0
# The kernel's per-student key (hex): HMAC(course secret, student id), made by the grader
# (autograder.grading.scoring.student_inputs). The kernel never sees the course secret itself,
# so a student knows their own key but cannot derive another student's inputs.
STUDENT_KEY_ENV = "BACKPROP_STUDENT_KEY"

# What nbgrader's ClearSolutions puts in place of a solution (and canonicalisation expects).
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

# Top-level module names a submission may not bring along: the kernel's cwd is first on sys.path,
# so a stray ``numpy.py`` or ``autograder/`` would replace what the checks import.
PROTECTED_MODULES = frozenset(
    {
        "autograder",
        "course",
        "numpy",
        "torch",
        "IPython",
        "ipykernel",
        "matplotlib",
        "tqdm",
        "nbformat",
        "zmq",
        "traitlets",
        "jupyter_client",
        "jupyter_core",
        "sitecustomize",
        "usercustomize",
        "scipy",
        "pytest",
    }
)


def seed_from_env(environ: Mapping[str, str] | None = None) -> int:
    """int(``$BACKPROP_GRADING_SEED``); ``DEFAULT_SEED`` when unset or not an integer."""
    environ = os.environ if environ is None else environ
    try:
        return int(environ.get(SEED_ENV, str(DEFAULT_SEED)))
    except ValueError:
        return DEFAULT_SEED


def student_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``$BACKPROP_STUDENT_KEY`` (hex) or "" (no key: every student gets the shared cases)."""
    environ = os.environ if environ is None else environ
    key = environ.get(STUDENT_KEY_ENV, "").strip().lower()
    return key if key and all(ch in "0123456789abcdef" for ch in key) else ""
