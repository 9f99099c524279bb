"""Integrity flags: the codes, their severity, where the per-notebook fragments are written.

Flag: ``{"code": str, "notebook": str, "cell": str, "reason": str}``; codes are listed in
``SEVERITY``: "zero" flags cost points (a cell or the notebook), "warn" are for the instructor's
attention only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from autograder.student.contract import PROTECTED_MODULES, RECORD_MIME  # noqa: F401

METADATA_KEY = "backprop_integrity"
INTEGRITY_DIR = "integrity"

# code -> severity; "zero" flags cost points (a cell or the notebook), "warn" are for the
# instructor's attention only.
SEVERITY = {
    "edited_cell": "warn",
    "metadata_edited": "warn",
    "tags_edited": "warn",
    "duplicate_cell": "warn",
    "reordered": "warn",
    "cell_type_changed": "warn",
    "missing_cell": "warn",
    "unknown_graded_cell": "warn",
    "malformed": "zero",
    "malformed_notebook": "zero",
    "reencoded_notebook": "warn",
    "renamed_notebook": "warn",
    "missing_notebook": "zero",
    "empty_submission": "zero",
    "bad_timestamp": "warn",
    "stray_file": "warn",
    "symlink_removed": "warn",
    "shadowing_file_removed": "warn",
    "kernel_died": "zero",
    "kernel_killed": "zero",
    "kernel_failed": "zero",
    "kernel_protocol": "zero",
    "timeout": "zero",
    "wall_timeout": "zero",
    "output_truncated": "warn",
    "forbidden_import": "warn",
    "forbidden_autograd": "zero",
    "forbidden_loop": "zero",
    "suspicious": "warn",
}


def flag(code: str, reason: str, notebook: str = "", cell: str = "") -> dict:
    return {"code": code, "notebook": notebook, "cell": cell, "reason": reason}


def dedupe(flags: list[dict]) -> list[dict]:
    out, seen = [], set()
    for f in flags:
        key = (f["code"], f["cell"], f["reason"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def write_fragment(course: Path, assignment: str, student: str, notebook: str, flags) -> Path:
    folder = course / INTEGRITY_DIR / assignment / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"notebook": notebook, "flags": flags}, indent=1))
    os.replace(tmp, path)
    return path
