"""scripts/bench_scale.py: the projection arithmetic (fast, numbers worked out by hand below) and,
marked slow, one real small run of the script in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_scale as B  # noqa: E402


def test_project_by_hand():
    # 10 s setup + 14000 x 2 s / 10 workers + 14000 x 0.001 s (serial scheduler) = 2824 s
    assert B.project(2, 0.001, 10, 14000, 10) == pytest.approx(2824)
    # one worker: 10 + 28000 + 14 = 28024 s
    assert B.project(2, 0.001, 10, 14000, 1) == pytest.approx(28024)
    # 100 workers: 10 + 280 + 14 = 304 s; the scheduler's 14 s does not shrink with w
    assert B.project(2, 0.001, 10, 14000, 100) == pytest.approx(304)
    assert B.project(3, 0.0, 0, 0, 5) == 0


def test_project_rejects_zero_workers():
    with pytest.raises(ValueError):
        B.project(2, 0.001, 10, 14000, 0)


def test_table_rows_by_hand():
    rows = B.projection_table(2, 0.001, 10)
    assert [r["workers"] for r in rows] == [1, 10, 100]
    # 28024 s = 7 h 47 min 04 s -> 7:47; 2824 s = 47 min 04 s -> 0:47; 304 s -> 0:05
    assert [r["hmm"] for r in rows] == ["7:47", "0:47", "0:05"]
    # 14000 notebooks / (2824 s / 3600) = 17847.0... per hour
    assert rows[1]["per_hour"] == pytest.approx(14000 * 3600 / 2824)
    assert B.hmm(3600 * 2 + 59 * 60 + 40) == "3:00"  # rounds to the minute


def test_bad_argument_is_one_line_exit_1():
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_scale.py"), "--tasks", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 1
    assert r.stderr.strip().count("\n") == 0 and "error" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.slow
def test_small_real_run_prints_the_table(tmp_path):
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_scale.py"),
            "--students",
            "1",
            "--tasks",
            "500",
            "--work",
            str(tmp_path / "work"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "workers  wall (h:mm)  notebooks/hour" in r.stdout
    for w in (1, 10, 100):
        assert re.search(rf"^\s+{w}\s+\d+:\d\d\s+[\d,]+$", r.stdout, re.M), w
    assert "assumptions:" in r.stdout
    assert out.is_file()
