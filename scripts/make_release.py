"""Regenerate release/ from source/ with nbgrader generate_assignment (force), every lesson.

`make release`. nbgrader runs in a temporary course directory (a copy of source/ and a throwaway
gradebook) so the repository gets no gradebook.db; the student versions are then copied into
release/<lesson>/. Output is deterministic: notebooks are re-serialized by nbformat (sorted
keys, no outputs, no execution counts) and nothing time-dependent is written.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.grading.config import (  # noqa: E402
    GradingError,
    build_config,
    ensure_venv_on_path,
    source_lessons,
)


def _normalize(nb_path: Path) -> None:
    import nbformat

    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(nb, str(nb_path))


def make_release(lessons: list[str] | None = None, release_dir: Path = REPO / "release") -> list:
    ensure_venv_on_path()
    from nbgrader.apps import NbGraderAPI

    lessons = lessons or source_lessons(REPO)
    if not lessons:
        raise GradingError(f"no lessons in {REPO / 'source'}")
    from autograder.grading.scoring.late_policy import COURSE_FILE, add_due_banner, load_policy

    policy = load_policy(REPO / COURSE_FILE)
    done = []
    with tempfile.TemporaryDirectory(prefix="make-release-") as tmp:
        course = Path(tmp)
        shutil.copytree(REPO / "source", course / "source")
        cfg = build_config(course)
        cfg.NbGraderAPI.log_level = "WARN"
        api = NbGraderAPI(config=cfg)
        for lesson in lessons:
            res = api.generate_assignment(lesson, force=True, create=True)
            if not res.get("success"):
                log = ((res.get("log") or "") + (res.get("error") or "")).strip().splitlines()
                raise GradingError(
                    f"{lesson}: generate_assignment failed: {log[-1] if log else ''}"
                )
            out = course / "release" / lesson
            for nb in out.glob("*.ipynb"):
                _normalize(nb)
                # course.toml at the repository root: the due date on top (none: unchanged)
                add_due_banner(nb, policy, lesson)
            dest = release_dir / lesson
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(out, dest)
            done.append(dest)
            print(f"release/{lesson}: {', '.join(sorted(p.name for p in dest.iterdir()))}")
    return done


def main() -> int:
    try:
        make_release(sys.argv[1:] or None)
    except GradingError as exc:
        print(f"make_release: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
