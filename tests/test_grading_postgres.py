"""Several graders: the same tool against a real PostgreSQL server (whatever major version the
distribution installs: scripts/system-deps.sh installs Debian's `postgresql`).

Starts a throwaway server (initdb + pg_ctl in a temp dir, as the postgres user when we are
root: initdb refuses root), grades the toy course in parallel against it, and checks that the
grades equal those of stock nbgrader (its own default pipeline, serially, on SQLite).
Without a server: a skip with a message, a failure under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from autograder.grading.cli import app as cli
from autograder.grading.cli.collect import collect_from, submitted_jobs
from autograder.grading.config import default_db_url
from autograder.grading.execution.workers import Job, run_parallel
from autograder.grading.reporting.export import read_grades
from autograder.tolerance import assert_data_close
from tests import toy_course as toy
from tests.ci_guard import require
from tests.stock_nbgrader import stock_autograde

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _pg_bin() -> Path | None:
    """The bin/ of the newest PostgreSQL server installed (Debian: /usr/lib/postgresql/N/bin)."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    found.sort(key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else -1)
    return found[-1] if found else None


PG_BIN = _pg_bin()
STUDENTS = {"alice": "full", "bob": "wrong", "carol": "stub", "dave": "full"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *cmd]


@pytest.fixture(scope="module")
def pg_url():
    require(PG_BIN is not None, "no PostgreSQL server (/usr/lib/postgresql/*/bin/initdb)")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        require(False, "psycopg2 is not installed")
    tmp = Path(tempfile.mkdtemp(prefix="pgtest-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres", "postgres")
    data, port = tmp / "data", _free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -c listen_addresses=127.0.0.1 -k {tmp} -c max_connections=50"
    subprocess.run(
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"), "-w"]
            + ["start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        import sqlalchemy

        admin = sqlalchemy.create_engine(
            f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
            isolation_level="AUTOCOMMIT",
        )
        for _ in range(50):
            try:
                with admin.connect() as conn:
                    conn.execute(sqlalchemy.text("CREATE DATABASE gradebook"))
                break
            except sqlalchemy.exc.OperationalError:
                time.sleep(0.2)
        admin.dispose()
        yield f"postgresql://postgres@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)


def _course(root: Path, db_url: str | None):
    info = toy.make_toy_course(root, STUDENTS)
    c = cli.Course(root, db_url, progress=False)
    cli.step_release(c, info["lessons"])
    collect_from(root, info["submissions"], info["lessons"])
    jobs = [Job(lesson, s) for s, lesson in submitted_jobs(root, info["lessons"])]
    return c, info, jobs


def _grades(db_url: str, root: Path) -> dict:
    g = read_grades(db_url, course_dir=root)
    out = {("total", s, lesson): v for (s, lesson), v in g.scores.items()}
    out.update(g.cell_scores)
    return out


def test_parallel_on_postgres_equals_stock_serial_sqlite(pg_url, tmp_path):
    pg_root, lite_root = tmp_path / "pg", tmp_path / "lite"
    c, info, jobs = _course(pg_root, pg_url)
    results = run_parallel(pg_root, pg_url, jobs, workers=2, progress=False)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]

    # reference: stock nbgrader (no preprocessor of ours), serially, on SQLite
    info2 = toy.make_toy_course(lite_root, STUDENTS)
    collect_from(lite_root, info2["submissions"], info2["lessons"])
    stock_autograde(
        lite_root, default_db_url(lite_root), info2["lessons"],
        submitted_jobs(lite_root, info2["lessons"]),
    )  # fmt: skip

    pg, lite = _grades(pg_url, pg_root), _grades(default_db_url(lite_root), lite_root)
    assert_data_close(pg, lite)  # two runs: a documented tolerance, not ==
    for (student, lesson), score in info["expected"].items():
        assert pg[("total", student, lesson)] == score
    assert not (pg_root / "gradebook.db").exists()  # nothing went to a local SQLite file


def test_cli_against_postgres(pg_url, tmp_path, capsys):
    """Two graders on two course dirs, one gradebook: the CLI's export sees both halves."""
    root = tmp_path / "grader2"
    info = toy.make_toy_course(root, {"zoe": "full"})
    rc = cli.main(
        ["--no-progress", "--course-dir", str(root), "--db-url", pg_url, "all"]
        + ["--from", str(info["submissions"]), "--workers", "2"]
    )
    assert rc == 0
    g = read_grades(pg_url)
    assert g.scores[("zoe", "toy_a")] == 5.0
