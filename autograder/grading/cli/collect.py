"""Collect submissions into course_dir/submitted/<student>/<lesson>/ (nbgrader's layout).

Sources: nbgrader's exchange (`NbGraderAPI.collect`), a folder or a zip laid out
<student>/<lesson>/*.ipynb (a single wrapping folder inside the zip is fine), or LMS/zip_collect
style flat names `[prefix_]<student>_attempt_<YYYY-MM-DD-HH-MM-SS>_<lesson>.ipynb`.
Every notebook is checked to be readable; a bad one is reported in one line and still copied
(nbgrader then records that student's lesson as failed, scoring 0).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat

from autograder.grading.config import GradingError

FLAT_RE = re.compile(
    r"^(?:.+?_)?(?P<student>[A-Za-z0-9\-]+)_attempt_(?P<ts>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})_"
    r"(?P<lesson>[A-Za-z0-9_\-]+)\.ipynb$"
)


@dataclass
class CollectReport:
    copied: list[tuple[str, str]] = field(default_factory=list)  # (student, lesson)
    problems: list[str] = field(default_factory=list)  # one line each
    ignored: list[str] = field(default_factory=list)


def _valid_timestamp(text: str) -> bool:
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f %Z", "%Y-%m-%d %H:%M:%S %Z", "%Y-%m-%d %H:%M:%S.%f"):
        try:
            datetime.strptime(text, fmt)
            return True
        except ValueError:
            continue
    return False


def check_notebook(path: Path) -> str | None:
    """None if nbformat can read the notebook, else a one-line reason."""
    try:
        nbformat.read(str(path), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse/validation failure is "unreadable"
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"unreadable notebook ({type(exc).__name__}: {msg[:120]})"
    return None


def _copy_submission(src: Path, dest: Path, student: str, lesson: str, rep: CollectReport):
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for item in src.iterdir():
        if item.name.startswith(".") or item.name == "__MACOSX":
            continue
        if item.is_dir():
            shutil.copytree(item, dest / item.name)
        else:
            shutil.copy2(item, dest / item.name)
    ts = dest / "timestamp.txt"
    if ts.exists() and not _valid_timestamp(ts.read_text(errors="replace")):
        # nbgrader crashes on a malformed timestamp (AttributeError): grade it as on time.
        rep.problems.append(f"{student}/{lesson}: malformed timestamp.txt ignored")
        ts.unlink()
    for nb in sorted(dest.glob("*.ipynb")):
        why = check_notebook(nb)
        if why:
            rep.problems.append(f"{student}/{lesson}/{nb.name}: {why}")
    rep.copied.append((student, lesson))


def preflight_all(course_dir: Path, pairs, rep: CollectReport) -> None:
    """H2/H7's integrity.preflight on every collected submission (repairs what would crash or
    leak in stock nbgrader: bad timestamps, malformed notebooks, symlinks...). Optional."""
    try:
        from autograder.grading.integrity import preflight
    except Exception:  # noqa: BLE001 - module absent or broken: nbgrader copes per student
        return
    course_dir = Path(course_dir)
    for student, lesson in pairs:
        sub = course_dir / "submitted" / student / lesson
        release = course_dir / "release" / lesson
        expected = [p.stem for p in sorted((course_dir / "source" / lesson).glob("*.ipynb"))]
        try:
            fixed, flags = preflight(
                sub,
                expected,
                release_dir=release if release.is_dir() else None,
                course_dir=course_dir,
            )
        except Exception as exc:  # noqa: BLE001 - never let a repair step stop the class
            rep.problems.append(f"{student}/{lesson}: preflight failed ({type(exc).__name__})")
            continue
        for flag in flags:
            rep.problems.append(
                f"{student}/{lesson}: {flag.get('code')}: {flag.get('reason', '')}"[:200]
            )


def _find_layout_root(root: Path, lessons: list[str]) -> Path:
    """The folder whose children are students (descend through single wrapping folders)."""
    cur = root
    for _ in range(3):
        kids = [p for p in cur.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))]
        if any((k / lesson).is_dir() for k in kids for lesson in lessons):
            return cur
        if len(kids) == 1:
            cur = kids[0]
        else:
            break
    return root


def collect_from_tree(
    course_dir: Path, src: Path, lessons: list[str], students: list[str] | None = None
) -> CollectReport:
    rep = CollectReport()
    submitted = Path(course_dir) / "submitted"
    base = _find_layout_root(src, lessons)
    flat = [p for p in base.rglob("*.ipynb") if FLAT_RE.match(p.name)]
    for sdir in sorted(p for p in base.iterdir() if p.is_dir()):
        if sdir.name.startswith((".", "__")):
            continue
        if students and sdir.name not in students:
            continue
        for ldir in sorted(p for p in sdir.iterdir() if p.is_dir()):
            if ldir.name not in lessons:
                rep.ignored.append(f"{sdir.name}/{ldir.name}")
                continue
            _copy_submission(ldir, submitted / sdir.name / ldir.name, sdir.name, ldir.name, rep)
    for nb in sorted(flat):
        m = FLAT_RE.match(nb.name)
        student, lesson = m["student"], m["lesson"]
        if lesson not in lessons or (students and student not in students):
            rep.ignored.append(nb.name)
            continue
        dest = submitted / student / lesson
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, dest / f"{lesson}.ipynb")
        ts = datetime.strptime(m["ts"], "%Y-%m-%d-%H-%M-%S")
        (dest / "timestamp.txt").write_text(ts.strftime("%Y-%m-%d %H:%M:%S.000000 UTC"))
        why = check_notebook(dest / f"{lesson}.ipynb")
        if why:
            rep.problems.append(f"{student}/{lesson}/{nb.name}: {why}")
        rep.copied.append((student, lesson))
    return rep


def collect_from(
    course_dir: Path, src: Path, lessons: list[str], students: list[str] | None = None
) -> CollectReport:
    """Collect from a folder or a .zip file (see module docstring for layouts)."""
    src = Path(src)
    if not src.exists():
        raise GradingError(f"no such folder or zip: {src}")
    if src.is_dir():
        rep = collect_from_tree(course_dir, src, lessons, students)
    elif zipfile.is_zipfile(src):
        with tempfile.TemporaryDirectory(prefix="collect-") as tmp:
            try:
                with zipfile.ZipFile(src) as zf:
                    for info in zf.infolist():
                        target = (Path(tmp) / info.filename).resolve()
                        if not str(target).startswith(str(Path(tmp).resolve())):
                            raise GradingError(f"bad zip {src}: unsafe path {info.filename!r}")
                    zf.extractall(tmp)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise GradingError(f"bad zip {src}: {exc}") from None
            rep = collect_from_tree(course_dir, Path(tmp), lessons, students)
    else:
        raise GradingError(f"not a folder or a zip file: {src}")
    preflight_all(course_dir, rep.copied, rep)
    if not rep.copied:
        raise GradingError(
            f"no submissions found in {src} (expected <student>/<lesson>/*.ipynb with lessons "
            f"{', '.join(lessons)}, or <student>_attempt_<timestamp>_<lesson>.ipynb)"
        )
    return rep


def collect_from_exchange(api, lessons: list[str]) -> CollectReport:
    """nbgrader's own collect from the exchange (Exchange.root of the course dir)."""
    rep = CollectReport()
    for lesson in lessons:
        res = api.collect(lesson, update=True)
        if not res.get("success"):
            log = (res.get("log") or res.get("error") or "").strip().splitlines()
            rep.problems.append(f"{lesson}: collect failed ({log[-1] if log else 'no log'})")
    submitted = Path(api.coursedir.root) / "submitted"
    if submitted.is_dir():
        for sdir in sorted(submitted.iterdir()):
            for lesson in lessons:
                if (sdir / lesson).is_dir():
                    rep.copied.append((sdir.name, lesson))
    return rep


def submitted_jobs(
    course_dir: Path, lessons: list[str], students: list[str] | None = None
) -> list[tuple[str, str]]:
    """(student, lesson) pairs present under submitted/ (only for the given lessons)."""
    submitted = Path(course_dir) / "submitted"
    out = []
    if not submitted.is_dir():
        return out
    for sdir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        if students and sdir.name not in students:
            continue
        for lesson in lessons:
            if (sdir / lesson).is_dir():
                out.append((sdir.name, lesson))
    return out


__all__ = [
    "CollectReport",
    "collect_from",
    "collect_from_exchange",
    "submitted_jobs",
    "check_notebook",
    "GradingError",
]
