"""Grading integrity: what stops a submission from scoring points it did not earn.

- ``preflight``: repair or flag bad input before nbgrader sees it (collect / autograde);
- ``shortcuts``: AST scan for the reference package, autograd in a by-hand exercise, tricks;
- ``integrity_report``: the ``IntegrityReport`` preprocessor and the class-wide report;
- ``flags``: the flag codes and their severity.
"""

from autograder.grading.integrity.flags import INTEGRITY_DIR, METADATA_KEY, SEVERITY
from autograder.grading.integrity.integrity_report import (
    IntegrityReport,
    build_report,
    format_markdown,
)
from autograder.grading.integrity.preflight import preflight
from autograder.grading.integrity.shortcuts import FORBIDDEN, scan_shortcuts

__all__ = [
    "FORBIDDEN",
    "INTEGRITY_DIR",
    "METADATA_KEY",
    "SEVERITY",
    "IntegrityReport",
    "build_report",
    "format_markdown",
    "preflight",
    "scan_shortcuts",
]
