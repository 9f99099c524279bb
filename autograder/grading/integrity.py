"""Grading integrity: pre-flight repair of submissions, shortcut detection, the integrity report.

Pieces (all grader side):

``preflight(submission_dir, expected_notebooks, *, release_dir=None, course_dir=None)``
    -> ``(fixed: bool, flags: list[dict])``. Call it before nbgrader sees a submission (collect /
    autograde). It repairs what would make stock nbgrader crash or leak: a bad ``timestamp.txt``
    (moved aside), notebooks in a wrong encoding (re-encoded UTF-8), malformed notebooks (cells
    salvaged, or replaced by the release version = 0 points), a renamed notebook (renamed back
    when unambiguous), missing notebooks of an empty submission (release version copied in),
    symlinks / special files (removed: nbgrader's copy follows symlinks, e.g. to the gradebook),
    files that would shadow a module the grading imports (``autograder/``, ``numpy.py``...).
``scan_shortcuts(nb, source)``
    AST scan of the student's code: imports of the reference package (``course``,
    ``autograder.grading``), torch autograd inside a by-hand exercise (``Exercise.forbidden``,
    default ``FORBIDDEN``), and suspicious tricks (display/exception hooks, ``os._exit``, forged
    record bundles, reading the gradebook or source/).
``IntegrityReport``   nbgrader preprocessor, after ``TrustedScores`` and before
    ``SaveAutoGrades``: zeroes the test cell of an exercise that used a forbidden shortcut, and
    writes ``integrity/<assignment>/<student>/<notebook>.json`` in the course dir.
``build_report(course_dir)``  gathers every fragment into ``integrity/report.json`` and
    ``integrity/report.md`` (the grading tool prints the Markdown).

Flag: ``{"code": str, "notebook": str, "cell": str, "reason": str}``; codes are listed in
``SEVERITY``.
"""

from __future__ import annotations

import ast
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
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

METADATA_KEY = "backprop_integrity"
INTEGRITY_DIR = "integrity"
RECORD_MIME = "application/vnd.backprop.record+json"

# Exercises where gradients must be computed by hand; `Exercise.forbidden` overrides this.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    ex: ("autograd",)
    for ex in (
        "l01_neuron_backward",
        "l01_train",
        "l02_backward",
        "l02_batch",
        "l02_train",
        "l03_backward",
        "l03_step",
        "l04_backward",
        "l05_numpy",
        "l05_step",
        "l05_torch_by_hand",
        "l06_gradients",
        "l06_update",
    )
}

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
    "suspicious": "warn",
}

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
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024


def _flag(code: str, reason: str, notebook: str = "", cell: str = "") -> dict:
    return {"code": code, "notebook": notebook, "cell": cell, "reason": reason}


# --------------------------------------------------------------------------------------------
# Pre-flight
# --------------------------------------------------------------------------------------------
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
_EX_CALL = re.compile(r"\b(?:check|record)\(\s*[\"'](l\d\d_\w+)[\"']\s*((?:,\s*\w+\s*)*)\)")
_SUSPICIOUS = {
    "set_custom_exc": "installs a custom exception handler",
    "displayhook": "replaces the display hook",
    "events.register": "registers IPython event callbacks",
    "os._exit": "exits the kernel",
    "vnd.backprop.record": "builds record bundles itself",
    "gradebook": "mentions the gradebook",
    "skip-execution": "uses an execution-skipping tag",
    "sys.stdout": "redirects stdout",
    "sys.stderr": "redirects stderr",
}


def _exercise_functions(
    ex_id: str, fallback: tuple[str, ...], extra: Iterable[str] = ()
) -> tuple[tuple[str, ...], tuple]:
    try:
        from autograder.student.spec import get_exercise

        ex = get_exercise(ex_id)
        functions = tuple(ex.functions)
        forbidden = getattr(ex, "forbidden", None)
    except Exception:  # noqa: BLE001 - lessons written in parallel may be missing
        functions, forbidden = fallback, None
    if forbidden is None:
        forbidden = FORBIDDEN.get(ex_id, ())
    forbidden = tuple(forbidden) + (("autograd",) if ex_id in set(extra) else ())
    return functions or fallback, forbidden


def _parse(src: str) -> ast.Module | None:
    lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _autograd_uses(node: ast.AST) -> list[str]:
    found = []
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            if n.attr in (
                "backward",
                "requires_grad",
                "requires_grad_",
                "grad",
                "autograd",
                "enable_grad",
                "func",
            ):
                if n.attr == "func" and not (
                    isinstance(n.value, ast.Name) and n.value.id == "torch"
                ):
                    continue
                found.append(f".{n.attr} (line {n.lineno})")
        elif isinstance(n, ast.keyword) and n.arg == "requires_grad":
            found.append(f"requires_grad= (line {n.value.lineno})")
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in n.names] + (
                [n.module] if isinstance(n, ast.ImportFrom) and n.module else []
            )
            if any(m.startswith(("torch.autograd", "torch.func", "functorch")) for m in mods) or (
                isinstance(n, ast.ImportFrom)
                and n.module == "torch"
                and any(a.name in ("autograd", "func") for a in n.names)
            ):
                found.append(f"import of {', '.join(mods)} (line {n.lineno})")
    return found


def _reference_imports(tree: ast.AST) -> list[str]:
    found = []
    for n in ast.walk(tree):
        mods: list[str] = []
        if isinstance(n, ast.Import):
            mods = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom) and n.module:
            mods = [n.module] + [f"{n.module}.{a.name}" for a in n.names]
        elif isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Constant):
            f = n.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fname in ("import_module", "__import__") and isinstance(n.args[0].value, str):
                mods = [n.args[0].value]
        for m in mods:
            if m == "course" or m.startswith(("course.", "autograder.grading")):
                found.append(f"{m} (line {n.lineno})")
                break
    return found


def scan_shortcuts(
    nb: NotebookNode, source: NotebookNode, forbid_autograd: Iterable[str] = ()
) -> dict:
    """Scan the student's code in the canonical notebook ``nb`` (cells that differ from the
    source notebook's). ``forbid_autograd``: exercise ids added to ``FORBIDDEN`` / the
    exercises' own ``forbidden``. Returns {"forbidden": {ex_id: [uses]}, "flags": [...]}."""
    forbid_autograd = tuple(forbid_autograd)
    src_texts = {c.source.strip() for c in source.cells if c.cell_type == "code"}
    student_src = [
        c.source for c in nb.cells if c.cell_type == "code" and c.source.strip() not in src_texts
    ]
    flags: list[dict] = []
    defs: dict[str, ast.FunctionDef] = {}
    for src in student_src:
        tree = _parse(src)
        if tree is None:
            continue
        for use in _reference_imports(tree):
            flags.append(
                _flag(
                    "forbidden_import", f"imports the reference code: {use} (fails in the sandbox)"
                )
            )
        for n in tree.body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[n.name] = n
        for needle, why in _SUSPICIOUS.items():
            if needle in src:
                flags.append(_flag("suspicious", f"student code {why} ({needle!r})"))

    forbidden: dict[str, list[str]] = {}
    for c in source.cells:
        if c.cell_type != "code":
            continue
        for m in _EX_CALL.finditer(c.source):
            ex_id = m.group(1)
            fallback = tuple(a.strip() for a in m.group(2).split(",") if a.strip())
            functions, kinds = _exercise_functions(ex_id, fallback, forbid_autograd)
            if "autograd" not in kinds or ex_id in forbidden:
                continue
            uses = []
            for fn in _reachable(functions, defs):
                uses += [f"{fn}: {u}" for u in _autograd_uses(defs[fn])]
            if uses:
                forbidden[ex_id] = uses
                flags.append(
                    _flag(
                        "forbidden_autograd",
                        f"{ex_id} asks for gradients by hand but uses torch autograd "
                        f"({'; '.join(uses[:3])}): 0 points",
                        cell=ex_id,
                    )
                )
    return {"forbidden": forbidden, "flags": _dedupe(flags)}


def _reachable(roots: Iterable[str], defs: dict[str, ast.FunctionDef]) -> list[str]:
    """The student's functions reachable by name from ``roots`` (helpers count too)."""
    todo, seen = [r for r in roots if r in defs], []
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.append(fn)
        for n in ast.walk(defs[fn]):
            if isinstance(n, ast.Name) and n.id in defs and n.id not in seen:
                todo.append(n.id)
    return seen


def _dedupe(flags: list[dict]) -> list[dict]:
    out, seen = [], set()
    for f in flags:
        key = (f["code"], f["cell"], f["reason"])
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# --------------------------------------------------------------------------------------------
# The preprocessor and the report
# --------------------------------------------------------------------------------------------
def _write_fragment(course: Path, assignment: str, student: str, notebook: str, flags) -> Path:
    folder = course / INTEGRITY_DIR / assignment / student
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"notebook": notebook, "flags": flags}, indent=1))
    os.replace(tmp, path)
    return path


def _zero_cell(cell: NotebookNode, reason: str) -> None:
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"0 points: {reason}\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "0"}, execution_count=None),
    ]


class IntegrityReport(NbGraderPreprocessor):
    """Enforce and record integrity findings (after TrustedScores, before SaveAutoGrades)."""

    course_root = Unicode("", help="Course dir for the report (default: CourseDirectory.root)").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources.get("nbgrader", {})
        name = info.get("notebook", resources.get("unique_key", "notebook"))
        meta = nb.metadata.get(METADATA_KEY, {})
        flags = list(meta.get("flags", []))
        shortcuts = meta.get("shortcuts", {}) or {}
        flags += [{**f, "notebook": name} for f in shortcuts.get("flags", [])]
        flags += [{**f, "notebook": name} for f in resources.get("integrity", {}).get("flags", [])]
        if not meta:
            flags.append(_flag("suspicious", "the notebook was not canonicalized", name))
        for ex_id, uses in (shortcuts.get("forbidden") or {}).items():
            for cell in nb.cells:
                if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == ex_id:
                    _zero_cell(cell, f"{ex_id} must compute gradients by hand; found {uses[0]}")
        flags = _dedupe([{"notebook": name, "cell": "", **f} for f in flags])
        nb.metadata[METADATA_KEY] = {**meta, "flags": flags}
        root = Path(self.course_root or CourseDirectory(config=self.config).root)
        if info.get("assignment") and info.get("student"):
            _write_fragment(root, info["assignment"], info["student"], name, flags)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):  # pragma: no cover - unused
        return cell, resources


def build_report(course_dir: str | os.PathLike) -> dict:
    """Gather every fragment into integrity/report.json and report.md; returns the data."""
    root = Path(course_dir) / INTEGRITY_DIR
    data: dict[str, dict[str, list[dict]]] = {}
    if root.is_dir():
        for frag in sorted(root.glob("*/*/*.json")):
            assignment, student = frag.parent.parent.name, frag.parent.name
            try:
                flags = json.loads(frag.read_text())["flags"]
            except (ValueError, KeyError, OSError):
                continue
            data.setdefault(assignment, {}).setdefault(student, []).extend(flags)
    root.mkdir(parents=True, exist_ok=True)
    (root / "report.json").write_text(json.dumps(data, indent=1, sort_keys=True))
    (root / "report.md").write_text(format_markdown(data))
    return data


def format_markdown(data: dict) -> str:
    lines = ["# Grading integrity report", ""]
    if not any(flags for subs in data.values() for flags in subs.values()):
        return "\n".join(lines + ["No integrity problem found.", ""])
    for assignment in sorted(data):
        lines += [f"## {assignment}", ""]
        for student in sorted(data[assignment]):
            flags = data[assignment][student]
            if not flags:
                continue
            worst = "zero" if any(SEVERITY.get(f["code"]) == "zero" for f in flags) else "warn"
            lines.append(f"### {student} ({'points lost' if worst == 'zero' else 'warnings'})")
            lines.append("")
            for f in flags:
                where = " / ".join(x for x in (f.get("notebook", ""), f.get("cell", "")) if x)
                lines.append(f"- `{f['code']}` {where + ': ' if where else ''}{f['reason']}")
            lines.append("")
    return "\n".join(lines)
