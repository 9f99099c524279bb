"""CanonicalizeSubmission: grade a notebook rebuilt from the instructor's source notebook.

First in ``Autograde.sanitize_preprocessors``. The notebook that runs is the trusted source
notebook ``source/<assignment>/<notebook>.ipynb`` (cells, order, metadata, points, schema
version, kernelspec) into which only two things of the student's are put:

- the *source text* of each answer cell (nbgrader ``solution``), matched by ``grade_id``, first
  occurrence, same cell type; a missing answer gets the release stub;
- the student's extra plain cells (code/markdown without nbgrader grade/locked claims), stripped
  of all metadata, placed after the matched cell that precedes them in the student's notebook.

So edited, deleted, duplicated, reordered or markdown-ified test cells, edited metadata (points,
grade ids, schema version, tags) and duplicate grade ids are harmless and can never abort the
run (stock nbgrader aborts the whole class on duplicate ids or a schema edit). Every tampering
found is flagged in ``resources["integrity"]["flags"]`` (see integrity.py).
"""

from __future__ import annotations

import copy
import os
import re
import uuid
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from autograder.grading.execution.needed_cells import ORIGIN_KEY
from autograder.grading.integrity import METADATA_KEY, scan_shortcuts
from autograder.student.contract import CODE_STUB

_NBG_KEYS = ("grade", "solution", "locked", "task", "points", "schema_version", "grade_id")
_SOLUTION_RE = re.compile(
    r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S
)
_HIDDEN_RE = re.compile(
    r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S
)


def _nbg(cell: NotebookNode) -> dict:
    md = cell.get("metadata", {}).get("nbgrader", {})
    return md if isinstance(md, dict) else {}


def _gid(cell: NotebookNode) -> str | None:
    gid = _nbg(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def _is_nbgrader_cell(cell: NotebookNode) -> bool:
    md = _nbg(cell)
    return bool(md.get("grade") or md.get("solution") or md.get("locked") or md.get("task"))


def _claims(cell: NotebookNode) -> bool:
    """Does a student cell claim to be a graded or read-only cell?"""
    md = _nbg(cell)
    return bool(md.get("grade") or md.get("locked") or md.get("task"))


def _norm(src: Any) -> str:
    if isinstance(src, list):
        src = "".join(str(s) for s in src)
    return "\n".join(line.rstrip() for line in str(src).strip().splitlines())


def release_view(cell: NotebookNode, code_stub: str) -> str:
    """What the student received for a source cell (solutions stubbed, hidden tests removed)."""
    src = cell.source
    if _nbg(cell).get("solution"):
        stub = code_stub if cell.cell_type == "code" else "YOUR ANSWER HERE"
        if _SOLUTION_RE.search(src):
            src = _SOLUTION_RE.sub(lambda m: _stub_lines(stub, _indent_of(m.group(0))) + "\n", src)
        else:
            src = stub
    if _HIDDEN_RE.search(src):
        src = _HIDDEN_RE.sub("", src)
    return src


def _indent_of(block: str) -> str:
    return block[: len(block) - len(block.lstrip(" \t"))]


def _stub_lines(stub: str, indent: str) -> str:
    return "\n".join(indent + line for line in stub.splitlines())


def canonicalize(
    student: NotebookNode, source: NotebookNode, code_stub: str
) -> tuple[NotebookNode, list[dict]]:
    """Rebuild ``student`` on ``source``. Returns (notebook to grade, flags)."""
    flags: list[dict] = []

    def flag(code: str, cell: str, reason: str) -> None:
        flags.append({"code": code, "cell": cell, "reason": reason})

    src_cells = list(source.cells)
    src_by_gid: dict[str, NotebookNode] = {}
    for c in src_cells:
        g = _gid(c)
        if g and _is_nbgrader_cell(c):
            src_by_gid.setdefault(g, c)
    plain_src = {_norm(c.source) for c in src_cells if not _is_nbgrader_cell(c)}

    # Walk the student's notebook: match cells, collect extras with their anchor.
    answers: dict[str, str] = {}
    seen: set[str] = set()
    anchor: str | None = None  # grade_id (or "#plain:<i>") of the last matched source cell
    extras: dict[str | None, list[NotebookNode]] = {}
    order: list[str] = []
    stu_cells = student.get("cells", [])
    if not isinstance(stu_cells, list):
        stu_cells = []
        flag("malformed", "", "the notebook has no list of cells")
    for i, cell in enumerate(stu_cells):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            flag("malformed", f"#{i}", "a cell that is not a notebook cell was dropped")
            continue
        gid = _gid(cell)
        where = gid or f"#{i}"
        if gid and gid in src_by_gid:
            s = src_by_gid[gid]
            if gid in seen:
                flag("duplicate_cell", gid, f"a second cell with grade_id {gid!r} was ignored")
                continue
            seen.add(gid)
            order.append(gid)
            anchor = gid
            if cell.get("cell_type") != s.cell_type:
                flag(
                    "cell_type_changed",
                    gid,
                    f"cell {gid!r} was turned from {s.cell_type} into {cell.get('cell_type')}; "
                    "the source version is graded",
                )
                continue
            _compare_metadata(cell, s, flag)
            if _nbg(s).get("solution"):
                answers[gid] = _norm_source(cell.get("source", ""))
            elif _norm(cell.get("source", "")) != _norm(release_view(s, code_stub)):
                kind = "test" if _nbg(s).get("grade") else "read-only"
                flag("edited_cell", gid, f"the {kind} cell {gid!r} was edited; the source is used")
            continue
        if gid and _claims(cell):
            flag(
                "unknown_graded_cell",
                where,
                f"a cell claiming to be graded/read-only with unknown grade_id {gid!r} was dropped",
            )
            continue
        if _norm(cell.get("source", "")) in plain_src and cell.get("cell_type") != "code":
            continue  # the lesson's own text
        if _norm(cell.get("source", "")) in plain_src and not _is_nbgrader_cell(cell):
            continue  # an unmarked cell of the lesson (e.g. a demo cell): source version runs
        if not _norm(cell.get("source", "")):
            continue
        extras.setdefault(anchor, []).append(_plain_copy(cell))

    src_gid_order = [g for g in (_gid(c) for c in src_cells if _is_nbgrader_cell(c)) if g]
    if [g for g in src_gid_order if g in order] != order:
        flag("reordered", "", "cells were reordered; the source order is used")
    for g in src_gid_order:
        if g not in seen:
            s = src_by_gid[g]
            what = "answer" if _nbg(s).get("solution") else "test/read-only"
            flag("missing_cell", g, f"the {what} cell {g!r} is missing; the source/stub is used")

    out = copy.deepcopy(source)
    cells: list[NotebookNode] = list(extras.get(None, []))
    for c in out.cells:
        gid = _gid(c) if _is_nbgrader_cell(c) else None
        if gid and _nbg(c).get("solution"):
            c.source = answers.get(gid, release_view(c, code_stub))
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
            if not (_nbg(c).get("solution") or _nbg(c).get("grade")):
                # The lesson's own code, read-only or unmarked (demos, plots), always the
                # source's text: SandboxedExecute may skip it when grading does not need it
                # (execution/needed_cells.py). Students' cells never carry this mark.
                c.metadata[ORIGIN_KEY] = {"origin": "instructor"}
        cells.append(c)
        if gid:
            cells.extend(extras.get(gid, []))
    out.cells = cells
    _unique_ids(out)
    return out, flags


def _norm_source(src: Any) -> str:
    return "".join(str(s) for s in src) if isinstance(src, list) else str(src)


def _compare_metadata(cell: NotebookNode, s: NotebookNode, flag) -> None:
    gid = _gid(s)
    mine, theirs = _nbg(s), _nbg(cell)
    changed = [k for k in _NBG_KEYS if k != "grade_id" and mine.get(k) != theirs.get(k)]
    if changed:
        flag(
            "metadata_edited",
            gid,
            f"nbgrader metadata {', '.join(changed)} of {gid!r} differ from the source; "
            "the source metadata is used",
        )
    tags_s = list(s.get("metadata", {}).get("tags", []) or [])
    tags_c = cell.get("metadata", {}).get("tags", [])
    if tags_c != tags_s and (tags_c or tags_s):
        flag("tags_edited", gid, f"cell tags of {gid!r} were changed to {tags_c!r}; ignored")


def _plain_copy(cell: dict) -> NotebookNode:
    src = _norm_source(cell.get("source", ""))
    if cell.get("cell_type") == "code":
        new = nbformat.v4.new_code_cell(src)
    elif cell.get("cell_type") == "markdown":
        new = nbformat.v4.new_markdown_cell(src)
    else:
        new = nbformat.v4.new_raw_cell(src)
    return new


def _unique_ids(nb: NotebookNode) -> None:
    seen: set[str] = set()
    for c in nb.cells:
        cid = c.get("id")
        if not cid or cid in seen:
            c["id"] = uuid.uuid4().hex[:8]
        seen.add(c["id"])


class CanonicalizeSubmission(NbGraderPreprocessor):
    """Rebuild the submitted notebook from the trusted source notebook (see module docstring)."""

    source_notebook = Unicode(
        "",
        help="Path of the source notebook to use (default: the course's source/<assignment>/).",
    ).tag(config=True)
    code_stub = Unicode(CODE_STUB).tag(config=True)
    forbid_autograd = List(
        Unicode(),
        help="Exercise ids where torch autograd is forbidden, on top of integrity.FORBIDDEN "
        "and the exercises' own `forbidden` field.",
    ).tag(config=True)

    def _source_path(self, resources: dict) -> Path:
        if self.source_notebook:
            return Path(self.source_notebook)
        info = resources.get("nbgrader", {})
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.source_directory, ".", info["assignment"])
        return Path(folder) / f"{info['notebook']}.ipynb"

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        path = self._source_path(resources)
        if not path.is_file():
            raise FileNotFoundError(f"source notebook {path} not found: cannot grade safely")
        source = nbformat.read(os.fspath(path), as_version=4)
        stub = self.code_stub
        cfg_stub = self.config.get("ClearSolutions", {}).get("code_stub")
        if isinstance(cfg_stub, dict) and "python" in cfg_stub:
            stub = cfg_stub["python"]
        out, flags = canonicalize(nb, source, stub)
        name = resources.get("unique_key", path.stem)
        flags = [{"notebook": name, **f} for f in flags]
        for f in flags:
            self.log.warning("integrity: %s %s: %s", name, f["cell"], f["reason"])
        # The flags travel in the notebook's metadata from nbgrader's sanitize phase to its
        # autograde phase (fresh resources); the student's own metadata was discarded above.
        meta = out.metadata.setdefault(METADATA_KEY, {})
        meta["flags"] = flags
        meta["shortcuts"] = scan_shortcuts(out, source, self.forbid_autograd)
        resources.setdefault("integrity", {}).setdefault("flags", []).extend(flags)
        return out, resources

    def preprocess_cell(self, cell, resources, index):  # pragma: no cover - unused
        return cell, resources


__all__ = ["CanonicalizeSubmission", "canonicalize", "release_view"]
