"""Pre-flight repair of submissions, before nbgrader sees them (collect / autograde).

``preflight(submission_dir, expected_notebooks, *, release_dir=None, course_dir=None)``
-> ``(fixed: bool, flags: list[dict])``. It repairs what would make stock nbgrader crash or leak:
a bad ``timestamp.txt`` (moved aside), notebooks in a wrong encoding (re-encoded UTF-8), malformed
notebooks (cells salvaged, or replaced by the release version = 0 points), a renamed notebook
(renamed back when unambiguous), missing notebooks of an empty submission (release version copied
in), symlinks / special files (removed: nbgrader's copy follows symlinks, e.g. to the gradebook),
files that would shadow a module the grading imports (``autograder/``, ``numpy.py``...).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from autograder.grading.integrity.flags import PROTECTED_MODULES
from autograder.grading.integrity.flags import flag as _flag
from autograder.grading.integrity.flags import write_fragment as _write_fragment

MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024


def _check_timestamp(sub: Path, flags: list[dict]) -> bool:
    from nbgrader.utils import parse_utc

    ts = sub / "timestamp.txt"
    if not ts.exists() and not ts.is_symlink():
        return False
    problem = ""
    if ts.is_symlink() or not ts.is_file():
        problem = "is not a regular file"
    else:
        try:
            text = ts.read_bytes()[:200].decode("utf-8").strip()
            if text:
                value = parse_utc(text)
                if not isinstance(value, datetime):
                    problem = f"{text!r} is not a time"
                elif not 1970 <= value.year <= 2200:
                    problem = f"{text!r} is out of range"
        except Exception as exc:  # noqa: BLE001 - nbgrader crashes on several kinds
            problem = f"cannot be read as a time ({type(exc).__name__})"
    if not problem:
        return False
    bad = sub / "timestamp.txt.invalid"
    if bad.exists() or bad.is_symlink():
        _remove(bad)
    os.replace(ts, bad)
    flags.append(
        _flag("bad_timestamp", f"timestamp.txt {problem}; moved aside (submission time unknown)")
    )
    return True


def _remove(p: Path) -> None:
    if p.is_symlink() or not p.is_dir():
        p.unlink(missing_ok=True)
    else:
        shutil.rmtree(p, ignore_errors=True)


def _clean_tree(sub: Path, flags: list[dict]) -> bool:
    fixed = False
    for entry in sorted(sub.iterdir()):
        name = entry.name
        stem = name.split(".")[0]
        if entry.is_symlink():
            _remove(entry)
            flags.append(_flag("symlink_removed", f"symlink {name!r} removed (never followed)"))
            fixed = True
        elif stem in PROTECTED_MODULES and (entry.is_dir() or name.endswith((".py", ".so"))):
            _remove(entry)
            flags.append(
                _flag("shadowing_file_removed", f"{name!r} would shadow a module; removed")
            )
            fixed = True
        elif name.endswith(".pth"):
            _remove(entry)
            flags.append(_flag("shadowing_file_removed", f"{name!r} removed"))
            fixed = True
    for dirpath, dirnames, filenames in os.walk(sub):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            st = p.lstat()
            rel = str(p.relative_to(sub))
            if stat.S_ISLNK(st.st_mode):
                p.unlink()
                flags.append(_flag("symlink_removed", f"symlink {rel!r} removed"))
                fixed = True
            elif not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
                p.unlink()
                flags.append(_flag("stray_file", f"special file {rel!r} removed"))
                fixed = True
    return fixed


def _decode(raw: bytes) -> tuple[str, str]:
    """Text of a notebook file and the encoding that worked."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig"), "utf-8 with BOM"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ("cp1252", "latin-1"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("utf-8", raw, 0, 1, "undecodable")


def _salvage(data: Any) -> NotebookNode | None:
    """A valid v4 notebook from whatever cells of a damaged one are usable (None: nothing)."""
    cells_in = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells_in, list):
        return None
    nb = nbformat.v4.new_notebook()
    for c in cells_in:
        if not isinstance(c, dict):
            continue
        src = c.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src if isinstance(s, str))
        if not isinstance(src, str):
            continue
        kind = c.get("cell_type")
        if kind == "code":
            new = nbformat.v4.new_code_cell(src)
        elif kind == "markdown":
            new = nbformat.v4.new_markdown_cell(src)
        else:
            continue
        md = c.get("metadata")
        if isinstance(md, dict) and isinstance(md.get("nbgrader"), dict):
            gid = md["nbgrader"].get("grade_id")
            if isinstance(gid, str) and re.fullmatch(r"[\w-]+", gid):
                new.metadata["nbgrader"] = {
                    k: v
                    for k, v in md["nbgrader"].items()
                    if k in ("grade", "solution", "locked", "task", "grade_id", "points")
                    and isinstance(v, (bool, int, float, str))
                }
                new.metadata["nbgrader"]["schema_version"] = 3
        nb.cells.append(new)
    return nb


def _check_notebook(path: Path, release: Path | None, flags: list[dict]) -> bool:
    name = path.stem
    raw = path.read_bytes()
    problem = ""
    if len(raw) > MAX_NOTEBOOK_BYTES:
        problem = f"is {len(raw)} bytes (limit {MAX_NOTEBOOK_BYTES})"
    else:
        try:
            text, enc = _decode(raw)
        except UnicodeDecodeError:
            problem = "is not text in any known encoding"
        else:
            try:
                data = json.loads(text)
            except ValueError as exc:
                problem = f"is not valid JSON ({exc.msg} at line {exc.lineno})"
            else:
                try:
                    nb = nbformat.from_dict(data)
                    nb = nbformat.convert(nb, 4) if nb.get("nbformat") != 4 else nb
                    nbformat.validate(nb)
                    if enc != "utf-8":
                        nbformat.write(nb, os.fspath(path))
                        flags.append(
                            _flag("reencoded_notebook", f"was {enc}; re-encoded as UTF-8", name)
                        )
                        return True
                    return False
                except Exception as exc:  # noqa: BLE001 - any schema problem
                    salvaged = _salvage(data)
                    if salvaged is not None and salvaged.cells:
                        nbformat.write(salvaged, os.fspath(path))
                        flags.append(
                            _flag(
                                "malformed_notebook",
                                f"invalid notebook ({type(exc).__name__}); "
                                f"{len(salvaged.cells)} cells salvaged",
                                name,
                            )
                        )
                        return True
                    problem = f"is not a valid notebook ({type(exc).__name__})"
    broken = path.with_name(path.name + ".broken")
    os.replace(path, broken)
    if release is not None and release.is_file():
        shutil.copyfile(release, path)
        flags.append(
            _flag("malformed_notebook", f"the file {problem}; graded as the release version", name)
        )
    else:
        flags.append(_flag("malformed_notebook", f"the file {problem}; not graded", name))
    return True


def preflight(
    submission_dir: str | os.PathLike,
    expected_notebooks: Iterable[str],
    *,
    release_dir: str | os.PathLike | None = None,
    course_dir: str | os.PathLike | None = None,
) -> tuple[bool, list[dict]]:
    """Repair a submission folder in place so nbgrader can grade it safely.

    ``expected_notebooks``: notebook names without ``.ipynb``. ``release_dir``: the assignment's
    release folder (its notebooks replace missing/unreadable ones: they score 0).
    ``course_dir``: when given, the flags are also written to
    ``integrity/<assignment>/<student>/_preflight.json`` there.
    Returns ``(fixed, flags)``; never raises for a bad submission.
    """
    sub = Path(submission_dir)
    expected = [n.removesuffix(".ipynb") for n in expected_notebooks]
    flags: list[dict] = []
    fixed = False
    if not sub.is_dir():
        flags.append(_flag("empty_submission", "no submission folder"))
        return False, flags
    rel = Path(release_dir) if release_dir else None
    fixed |= _clean_tree(sub, flags)
    fixed |= _check_timestamp(sub, flags)

    present = {p.stem for p in sub.glob("*.ipynb") if p.is_file()}
    missing = [n for n in expected if n not in present]
    unexpected = sorted(present - set(expected))
    if len(missing) == 1 and len(unexpected) == 1:
        os.replace(sub / f"{unexpected[0]}.ipynb", sub / f"{missing[0]}.ipynb")
        flags.append(
            _flag(
                "renamed_notebook",
                f"{unexpected[0]}.ipynb renamed back to {missing[0]}.ipynb",
                missing[0],
            )
        )
        fixed = True
        present = {p.stem for p in sub.glob("*.ipynb") if p.is_file()}
        missing, unexpected = [], []
    for n in unexpected:
        flags.append(_flag("stray_file", f"{n}.ipynb is not part of the assignment; ignored"))
    if missing and not present & set(expected):
        flags.append(_flag("empty_submission", "no notebook of the assignment was submitted"))
    for n in missing:
        stub = rel / f"{n}.ipynb" if rel else None
        if stub is not None and stub.is_file():
            shutil.copyfile(stub, sub / f"{n}.ipynb")
            fixed = True
            flags.append(
                _flag("missing_notebook", "not submitted; the release version is graded", n)
            )
        else:
            flags.append(_flag("missing_notebook", "not submitted", n))
    for n in expected:
        p = sub / f"{n}.ipynb"
        if p.is_file():
            fixed |= _check_notebook(p, rel / f"{n}.ipynb" if rel else None, flags)

    if course_dir is not None:
        student, assignment = sub.parent.name, sub.name
        _write_fragment(Path(course_dir), assignment, student, "_preflight", flags)
    return fixed, flags


# --------------------------------------------------------------------------------------------
# Shortcut detection
# --------------------------------------------------------------------------------------------
