"""`make bench`: backprop-grade (parallel) vs stock serial `nbgrader autograde`, same config.

Builds a synthetic class (default 40 students x every lesson in source/) by cycling the example
submissions (examples/submissions), then grades it twice in two copies of the course directory:

- stock: the real CLI, `nbgrader autograde <lesson> --force`, one command per lesson, strictly
  serial, with a nbgrader_config.py loading the repository's config (same preprocessors), every
  cell executed as nbgrader does (`SandboxedExecute.prune_unneeded_cells = False`);
- ours: `backprop-grade autograde` (worker processes, pre-started kernels, only the cells grading
  needs).

Checks that every score agrees, prints both wall times, the ratio, the time per notebook, and a
breakdown of where a notebook's time goes (app start, kernel start, imports, execution,
shutdown). The machine is shared: figures are noisy, compare them within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.grading.config import (  # noqa: E402
    GradingError,
    default_db_url,
    ensure_venv_on_path,
    source_lessons,
    venv_bin,
    write_course_config,
)
from autograder.tolerance import data_close  # noqa: E402

OUT = REPO / "out" / "bench"
EXAMPLES = REPO / "examples" / "submissions"


def build_class(course: Path, lessons: list[str], n_students: int, examples: Path) -> list[str]:
    """course/source (copy) + course/submitted/sNN/<lesson>/ cycling the example students."""
    if course.exists():
        shutil.rmtree(course)
    (course / "source").mkdir(parents=True)
    for lesson in lessons:
        shutil.copytree(REPO / "source" / lesson, course / "source" / lesson)
    originals = sorted(p for p in examples.iterdir() if p.is_dir())
    if not originals:
        raise GradingError(f"no example students in {examples}")
    students = []
    for k in range(n_students):
        src = originals[k % len(originals)]
        name = f"s{k + 1:02d}_{src.name}"
        students.append(name)
        for lesson in lessons:
            if (src / lesson).is_dir():
                shutil.copytree(src / lesson, course / "submitted" / name / lesson)
    write_course_config(course)
    return students


def env_with_venv() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{venv_bin()}{os.pathsep}{env.get('PATH', '')}"
    return env


def release(course: Path, lessons: list[str]) -> None:
    cmd = [str(venv_bin() / "backprop-grade"), "--no-progress", "--course-dir", str(course)]
    subprocess.run([*cmd, "release", *lessons], check=True, env=env_with_venv())


def run_stock(course: Path, lessons: list[str]) -> tuple[float, dict[str, float]]:
    per = {}
    t0 = time.perf_counter()
    for lesson in lessons:
        t = time.perf_counter()
        r = subprocess.run(
            [str(venv_bin() / "nbgrader"), "autograde", lesson, "--force", "--log-level=ERROR"],
            cwd=course,
            env=env_with_venv(),
            capture_output=True,
            text=True,
        )
        per[lesson] = time.perf_counter() - t
        print(f"  stock nbgrader autograde {lesson}: {per[lesson]:.1f} s (exit {r.returncode})")
    return time.perf_counter() - t0, per


def run_ours(course: Path, lessons: list[str], workers: int | None) -> float:
    cmd = [str(venv_bin() / "backprop-grade"), "--course-dir", str(course), "autograde", *lessons]
    if workers:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env_with_venv(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    print("  " + (r.stdout.strip().splitlines() or ["(no output)"])[-1])
    if r.returncode != 0:
        print(r.stderr[-2000:], file=sys.stderr)
    return wall


def scores(course: Path) -> dict:
    from autograder.grading.reporting.export import read_grades

    g = read_grades(default_db_url(course), course_dir=course)
    out = {}
    for (s, lesson, cell), v in g.cell_scores.items():
        out[(s, lesson, cell)] = v
    for (s, lesson), v in g.scores.items():
        out[(s, lesson, "_total")] = v
    return out


PROFILE = r"""
import json, os, sys, time
t_import = time.perf_counter()
import nbformat
from nbclient import NotebookClient
os.environ["NBGRADER_EXECUTION"] = "autograde"
path = sys.argv[1]
nb = nbformat.read(path, 4)
out = {}
for mode in ("graceful", "immediate"):
    c = NotebookClient(nb, kernel_name="python3", allow_errors=True, shutdown_kernel=mode,
                       resources={"metadata": {"path": os.path.dirname(path)}})
    t0 = time.perf_counter()
    with c.setup_kernel():
        t1 = time.perf_counter()
        setup = 0.0
        for i, cell in enumerate(nb.cells):
            a = time.perf_counter()
            c.execute_cell(cell, i)
            if i == 1:
                setup = time.perf_counter() - a
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    out[mode] = {"kernel_start": t1 - t0, "setup_cell_imports": setup,
                 "other_cells": t2 - t1 - setup, "shutdown": t3 - t2}
print(json.dumps(out))
"""


def profile_notebook(path: Path) -> dict:
    r = subprocess.run(
        [sys.executable, "-c", PROFILE, str(path)],
        env=env_with_venv(),
        capture_output=True,
        text=True,
    )
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}


def app_start_seconds(course: Path, lesson: str) -> float:
    """Time of a stock command that starts the app and finds nothing to do."""
    t0 = time.perf_counter()
    subprocess.run(
        [str(venv_bin() / "nbgrader"), "autograde", lesson, "--student", "nobody_here"],
        cwd=course,
        env=env_with_venv(),
        capture_output=True,
    )
    return time.perf_counter() - t0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=40)
    p.add_argument("--lessons", nargs="*", default=None)
    p.add_argument("--workers", type=int, default=None, help="default: one per core")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    ensure_venv_on_path()
    lessons = args.lessons or source_lessons(REPO)
    if not EXAMPLES.is_dir():
        print(f"bench: error: no {EXAMPLES}; run examples/make_examples.py", file=sys.stderr)
        return 2
    stock_dir, ours_dir = args.out / "stock", args.out / "ours"
    print(f"building {args.students} students x {len(lessons)} lessons in {args.out}")
    students = build_class(stock_dir, lessons, args.students, EXAMPLES)
    with open(stock_dir / "nbgrader_config.py", "a") as f:  # stock nbgrader runs every cell
        f.write("c.SandboxedExecute.prune_unneeded_cells = False\n")
    build_class(ours_dir, lessons, args.students, EXAMPLES)
    n_nb = sum(
        1 for s in students for lesson in lessons if (stock_dir / "submitted" / s / lesson).is_dir()
    )
    release(stock_dir, lessons)
    release(ours_dir, lessons)

    print(f"stock: {len(lessons)} x `nbgrader autograde` (serial, {n_nb} notebooks)")
    stock_wall, _ = run_stock(stock_dir, lessons)
    print(f"ours: backprop-grade autograde (workers: {args.workers or os.cpu_count()})")
    ours_wall = run_ours(ours_dir, lessons, args.workers)

    a, b = scores(stock_dir), scores(ours_dir)
    keys = sorted(set(a) | set(b))
    # two runs agree within autograder.tolerance (scores come from tolerance checks)
    diff = [k for k in keys if not data_close(a.get(k), b.get(k))]
    print()
    print(f"notebooks: {n_nb}   scores compared: {len(keys)}   disagreements: {len(diff)}")
    for k in diff[:10]:
        print(f"  DIFF {k}: stock={a.get(k)} ours={b.get(k)}")
    print(f"stock nbgrader (serial): {stock_wall:7.1f} s   {stock_wall / n_nb:.2f} s/notebook")
    print(f"backprop-grade:          {ours_wall:7.1f} s   {ours_wall / n_nb:.2f} s/notebook")
    print(f"speed-up: {stock_wall / ours_wall:.2f}x  (target >= 10x; shared 2-core machine: noisy)")

    print("\nwhere a notebook's time goes (one full-marks submission per lesson, serial, s):")
    app = app_start_seconds(stock_dir, lessons[0])
    print(f"  nbgrader app start (per stock command): {app:.2f}")
    print(f"  {'lesson':<22} {'kernel':>7} {'imports':>8} {'cells':>7} {'shutdown':>9} {'kill':>6}")
    example = next((s for s in students if "ada" in s), students[0])
    for lesson in lessons:
        nb = stock_dir / "autograded" / example / lesson / f"{lesson}.ipynb"
        if not nb.exists():
            continue
        prof = profile_notebook(nb)
        g, im = prof.get("graceful", {}), prof.get("immediate", {})
        if g:
            print(
                f"  {lesson:<22} {g['kernel_start']:7.2f} {g['setup_cell_imports']:8.2f} "
                f"{g['other_cells']:7.2f} {g['shutdown']:9.2f} {im.get('shutdown', 0):6.2f}"
            )
    print(
        "  ours: no app start per lesson; kernel start + imports overlap the previous notebook"
        " (pool); kill instead of graceful shutdown; N notebooks at once."
    )
    return 0 if not diff else 1


if __name__ == "__main__":
    sys.exit(main())
