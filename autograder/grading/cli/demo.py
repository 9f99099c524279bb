"""`make demo`: the instructor's whole loop on the bundled example class, in out/demo/.

release (source/ -> release/), a generated course secret (every student gets their own hidden
inputs), collect (examples/submissions), autograde in parallel, feedback HTML, grades CSV,
Canvas and Moodle import files (roster: examples/roster.csv), class report; then a short
summary and where the outputs are.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from autograder.grading.config import REPO_ROOT, GradingError, ensure_venv_on_path, source_lessons

EXAMPLES = REPO_ROOT / "examples" / "submissions"
ROSTER = REPO_ROOT / "examples" / "roster.csv"  # nbgrader id -> Canvas / Moodle ids
CALENDAR = REPO_ROOT / "examples" / "course.toml"  # due dates, an extension, the late policy
OUT = REPO_ROOT / "out" / "demo"


def use_demo_secret(out: Path) -> Path:
    """A fresh course secret for the demo class (per-student hidden inputs), in the demo's own
    course dir (out/ is not tracked), handed to the grader and its workers through the env
    variable ``StudentInputs`` reads by default. An instructor's own secret wins."""
    import os

    from autograder.grading.scoring.student_inputs import DEFAULT_SECRET_ENV, write_secret

    path = out / "course-secret"
    if not os.environ.get(DEFAULT_SECRET_ENV):
        os.environ[DEFAULT_SECRET_ENV] = write_secret(path).read_text().strip()
    return path


def run_demo(
    out: Path = OUT,
    submissions: Path = EXAMPLES,
    workers: int | None = None,
    progress: bool = True,
    lessons: list[str] | None = None,
    students: list[str] | None = None,
) -> dict:
    from autograder.grading.cli import app as cli
    from autograder.grading.reporting.class_report import (
        lesson_means,
        misconception_label,
        scan_autograded,
        top_misconceptions,
    )
    from autograder.grading.reporting.export import read_grades

    if not submissions.is_dir():
        raise GradingError(
            f"no example submissions in {submissions} (generate them: "
            ".venv/bin/python examples/make_examples.py)"
        )
    available = source_lessons(REPO_ROOT)
    if not available:
        raise GradingError(f"no lessons in {REPO_ROOT / 'source'}")
    lessons = [x for x in (lessons or available) if x in available]
    t0 = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    (out / "source").mkdir(parents=True)
    use_demo_secret(out)
    if CALENDAR.exists():
        shutil.copy(CALENDAR, out / "course.toml")
    for lesson in lessons:
        shutil.copytree(REPO_ROOT / "source" / lesson, out / "source" / lesson)
    course = cli.Course(out, None, progress=progress)
    cli.check_db(course.db_url)
    cli.step_release(course, lessons)
    rep = cli.step_collect(course, lessons, submissions, students)
    results, wall, failures = cli.step_autograde(course, lessons, students, workers)
    cli.step_feedback(course, lessons, students, workers)
    csv_path = cli.step_export(course)
    lms = {
        fmt: cli.step_lms_export(course, fmt, ROSTER).path
        for fmt in ("canvas", "moodle")
        if ROSTER.exists()
    }
    paths = cli.step_report(course, failures=failures)
    total = time.perf_counter() - t0

    g = read_grades(course.db_url, course_dir=out)
    ins = scan_autograded(out, g.lessons)
    means = lesson_means(g)
    graded = sum(r.ok for r in results)
    print()
    print(f"== demo: {len(g.students)} students x {len(g.lessons)} lessons ==")
    print(
        f"graded {graded}/{len(results)} submissions in {wall:.1f} s "
        f"({wall / max(1, len(results)):.2f} s per notebook; whole loop {total:.1f} s)"
    )
    print("mean score per lesson:")
    for lesson in g.lessons:
        print(f"  {lesson:<24} {means[lesson]:6.2f} / {g.lesson_max[lesson]:g}")
    tops = top_misconceptions(ins, 5)
    print("top misconceptions:" if tops else "top misconceptions: none diagnosed")
    for mid, occ, nstud in tops:
        print(f"  {misconception_label(mid)}: {nstud} student(s), {occ} time(s)")
    late = g.late_penalty
    print(f"late penalties (examples/course.toml): {len(late)}")
    for (s, lesson), pts in sorted(late.items()):
        print(f"  {s}/{lesson}: {pts:g} points off")
    flags = ins.integrity
    print(f"integrity flags: {len(flags)}")
    for s, lesson, code, reason in flags[:8]:
        print(f"  {s}/{lesson}: {code}: {reason}")
    similar = paths.get("similar") or []
    print(f"similar submissions (flagged, not penalised): {len(similar)}")
    for pair in similar[:8]:
        print(f"  {pair.lesson}: {pair.a} and {pair.b} ({pair.score:.0%} of the distinctive code)")
    if rep.problems or failures:
        print("problems:")
        for line in [*rep.problems, *failures][:10]:
            print(f"  {line}")
    print("outputs:")
    print(f"  grades CSV     {csv_path}")
    for fmt, path in lms.items():
        print(f"  {fmt + ' import':<14} {path}")
    print(f"  feedback HTML  {out / 'feedback'}/<student>/<lesson>/<lesson>.html")
    print(f"  report         {paths['html']}  ({paths['markdown'].name})")
    print(f"  score plot     {paths['png']}")
    if "integrity" in paths:
        print(f"  integrity      {paths['integrity']}")
    return {"results": results, "grades": g, "insights": ins, "paths": paths, "wall": wall}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="demo", description=__doc__)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--submissions", type=Path, default=EXAMPLES)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    ensure_venv_on_path()
    from autograder.grading.logs import quiet_libraries

    quiet_libraries()
    try:
        run_demo(args.out, args.submissions, args.workers, not args.no_progress)
    except GradingError as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
