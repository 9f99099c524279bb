"""The Dask engine with real parts: a LocalCluster, and a scheduler + two `dask worker` processes
started here on 127.0.0.1 grading against a real PostgreSQL gradebook, one worker SIGKILLed
mid-run. Grades are checked against the toy course's expected totals (written in toy_course.py
from the exercise points, not by the grader) and against a serial stock-nbgrader run.

The two `dask worker` processes cannot see the course folder: each runs in its own mount
namespace with a tmpfs over the test's tmp_path (where the course lives) and its current
directory elsewhere, so they grade only from what the tasks carry, as on other machines.

The scheduler and workers stop by themselves: the workers have a --death-timeout, and the
fixture terminates all three (they are our children) at the end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from autograder.grading.cli import app as cli
from autograder.grading.cli.collect import collect_from, submitted_jobs
from autograder.grading.config import default_db_url
from autograder.grading.execution.dask_engine import run_dask
from autograder.grading.execution.workers import Job
from autograder.grading.reporting.export import read_grades
from tests import toy_course as toy
from tests.test_grading_postgres import pg_url  # noqa: F401  (the PostgreSQL fixture)

pytestmark = [pytest.mark.slow]
STUDENTS = {"alice": "full", "bob": "wrong", "carol": "stub", "dave": "full", "erin": "full"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _course(root: Path, db_url: str | None):
    info = toy.make_toy_course(root, STUDENTS)
    c = cli.Course(root, db_url, progress=False)
    cli.step_release(c, info["lessons"])
    collect_from(root, info["submissions"], info["lessons"])
    jobs = [Job(lesson, s) for s, lesson in submitted_jobs(root, info["lessons"])]
    return info, jobs


def _check_totals(db_url: str, root: Path, info: dict) -> None:
    g = read_grades(db_url, course_dir=root)
    for (student, lesson), score in info["expected"].items():
        assert g.scores[(student, lesson)] == score, (student, lesson)
    assert len(g.scores) == len(info["expected"])  # one grade per submission: none twice


def test_local_cluster_grades_the_toy_class(tmp_path):
    root = tmp_path / "c"
    info, jobs = _course(root, None)
    results = run_dask(root, default_db_url(root), jobs, workers=2, progress=False)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert len({r.worker for r in results}) >= 1
    _check_totals(default_db_url(root), root, info)


@pytest.fixture
def dask_cluster(tmp_path, tmp_path_factory):
    """A scheduler and two nanny-less workers on 127.0.0.1, run in another directory; yields
    (address, worker Popens)."""
    yield from _cluster(tmp_path, tmp_path_factory)


def _cluster(tmp_path, tmp_path_factory):
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    sched = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
        + ["--port", str(port), "--dashboard-address", ":0", "--idle-timeout", "300"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    elsewhere = tmp_path_factory.mktemp("worker-cwd")
    worker_cmd = [sys.executable, "-m", "distributed.cli.dask_worker", addr, "--no-nanny"]
    worker_cmd += ["--nthreads", "1", "--host", "127.0.0.1", "--death-timeout", "30"]
    worker_cmd += ["--dashboard-address", ":0"]
    workers = [
        subprocess.Popen(
            worker_cmd,
            env=env,
            cwd=elsewhere,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    from distributed import Client

    try:
        with Client(addr, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        yield addr, workers
    finally:
        for p in [*workers, sched]:
            if p.poll() is None:
                p.terminate()
        for p in [*workers, sched]:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        for p in workers:  # the killed worker's fork server and kernels (its session)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.mark.postgres
def test_scheduler_two_workers_postgres_one_worker_killed(dask_cluster, pg_url, tmp_path):  # noqa: F811
    addr, workers = dask_cluster
    root = tmp_path / "pg"
    info, jobs = _course(root, pg_url)
    from distributed import Client

    killed = []

    def kill_one_busy_worker():
        with Client(addr, timeout="30s") as c:
            for _ in range(600):
                busy = [w for w, keys in c.processing().items() if keys]
                if busy:
                    pid = c.run(os.getpid, workers=[busy[0]])[busy[0]]
                    time.sleep(0.5)  # mid-task: the worker is grading
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
                time.sleep(0.1)

    t = threading.Thread(target=kill_one_busy_worker, daemon=True)
    t.start()
    results = run_dask(root, pg_url, jobs, workers=2, progress=False, scheduler=addr)
    t.join(timeout=5)
    assert killed and killed[0] in {p.pid for p in workers}
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert len({r.worker for r in results}) >= 1
    _check_totals(pg_url, root, info)
    assert not (root / "gradebook.db").exists()


def test_bad_scheduler_address_is_one_line(tmp_path, capsys):
    root = tmp_path / "c"
    info = toy.make_toy_course(root, {"zoe": "full"})
    assert cli.main(["--no-progress", "--course-dir", str(root), "release"]) == 0
    assert (
        cli.main(
            [
                "--no-progress",
                "--course-dir",
                str(root),
                "collect",
                "--from",
                str(info["submissions"]),
            ]
        )
        == 0
    )
    rc = cli.main(
        ["--no-progress", "--course-dir", str(root), "autograde", "--scheduler", "nohost:1"]
    )
    err = capsys.readouterr().err
    assert rc != 0
    assert "tcp://host:8786" in err and "Traceback" not in err
