"""Parallel autograding: long-lived worker processes, each running nbgrader's Autograde.

Design
- N worker processes (default: one per core) are started once (spawn) and each builds the
  nbgrader traitlets Config and an `NbGraderAPI` once, so there is no app start per notebook.
  A job is one (lesson, student) pair, graded by `NbGraderAPI.autograde(lesson, student)`:
  nbgrader's own Autograde converter with the course's sanitize/autograde preprocessors.
- Each worker keeps a pre-started kernel ready (pool.py): a fresh kernel per submission whose
  start-up overlaps the previous submission.
- Gradebook consistency.
  * Students are created by the parent before any worker starts (nbgrader's
    `update_or_create_student` is a read-then-insert: two workers grading one student's two
    lessons would race on the unique key, on SQLite and PostgreSQL alike).
  * SQLite: every gradebook session of a worker (nbgrader opens one per step: init,
    OverwriteCells, SaveAutoGrades, ...) holds an exclusive cross-process file lock
    (`gradebook.db.lock`, fcntl) from `Gradebook.__init__` to `close()`. Notebooks EXECUTE in
    parallel; only the short gradebook sessions are serialized. A busy timeout alone is not
    enough: SQLAlchemy sessions read then write, and SQLite answers a read->write upgrade that
    conflicts with another writer with an immediate "database is locked" (the busy handler is not
    consulted for that deadlock case).
  * PostgreSQL (`--db-url postgresql://...`, several graders/machines): no lock; row-level
    locking and transactions of the server do it, and the parent's student pre-creation removes
    the only insert race.
"""

from __future__ import annotations

import atexit
import fcntl
import multiprocessing as mp
import os
import re
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.config import build_config, ensure_venv_on_path, is_sqlite, sqlite_path


@dataclass(frozen=True)
class Job:
    lesson: str
    student: str


@dataclass
class JobResult:
    lesson: str
    student: str
    ok: bool
    seconds: float
    error: str = ""
    log: str = ""
    worker: int = 0
    timings: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- gradebook lock
class _FileLock:
    """Re-entrant (per process) exclusive fcntl lock on a file next to the SQLite gradebook."""

    def __init__(self, path: Path):
        self.path = path
        self.depth = 0
        self.fd: int | None = None
        self.mutex = threading.RLock()
        self.wait_s = 0.0

    def acquire(self) -> None:
        self.mutex.acquire()
        if self.depth == 0:
            t0 = time.perf_counter()
            self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            self.wait_s += time.perf_counter() - t0
        self.depth += 1

    def release(self) -> None:
        if self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0 and self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        self.mutex.release()

    def release_all(self) -> None:
        while self.depth:
            self.release()


_LOCK: _FileLock | None = None
# Modules that bind nbgrader.api.Gradebook by name during autograde / feedback.
_GRADEBOOK_USERS = (
    "nbgrader.converters.autograde",
    "nbgrader.preprocessors.saveautogrades",
    "nbgrader.preprocessors.overwritecells",
    "nbgrader.preprocessors.overwritekernelspec",
    "nbgrader.preprocessors.latesubmissions",
    "nbgrader.preprocessors.getgrades",
)


def install_gradebook_lock(db_url: str) -> _FileLock | None:
    """Serialize this process's gradebook sessions with the other workers' (SQLite only)."""
    global _LOCK
    path = sqlite_path(db_url)
    if path is None:
        return None
    import importlib

    from nbgrader import api as nbapi

    lock = _FileLock(Path(str(path) + ".lock"))

    class LockedGradebook(nbapi.Gradebook):
        def __init__(self, *args, **kwargs):
            lock.acquire()
            self._locked = True
            try:
                super().__init__(*args, **kwargs)
            except BaseException:
                self._locked = False
                lock.release()
                raise

        def close(self):
            try:
                super().close()
            finally:
                if getattr(self, "_locked", False):
                    self._locked = False
                    lock.release()

    for name in _GRADEBOOK_USERS:
        importlib.import_module(name).Gradebook = LockedGradebook
    _LOCK = lock
    return lock


# ----------------------------------------------------------------------------- worker side
_STATE: dict = {}


def die_with_parent() -> None:
    """Linux: this process gets SIGKILL when the process that started it dies.

    A grading worker blocks on its job queue, which never reports a dead client (the worker
    holds a writer end of the pipe itself), so a `backprop-grade` killed with SIGKILL would
    leave its workers running forever. With PR_SET_PDEATHSIG they die with it, and their
    sandboxes follow (bwrap --die-with-parent; the kernels live in its PID namespace). Must run
    in the process's main thread (the signal is armed per thread). No-op elsewhere."""
    import ctypes
    import multiprocessing
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)  # the client died before the signal was armed


def _worker_init(
    course_dir: str,
    db_url: str,
    use_pool: bool,
    quiet: bool,
    preloads: dict,
    first: str,
    fork: bool = True,
    orphan_proof: bool = False,
) -> None:
    if orphan_proof:
        die_with_parent()
    _STATE["preloads"] = preloads
    try:
        fork_preload = None
        if fork:
            # matplotlib.pyplot is left to the kernel: its backend must meet the IPython shell.
            mods = {m for v in preloads.values() for m in v if m != "matplotlib.pyplot"}
            fork_preload = tuple(sorted(mods))
        _worker_setup(course_dir, db_url, use_pool, quiet, preloads.get(first, ()), fork_preload)
    except Exception as exc:  # reported with every job of this worker, in one line
        _STATE["init_error"] = f"worker start-up failed: {type(exc).__name__}: {exc}"


def _worker_setup(
    course_dir: str,
    db_url: str,
    use_pool: bool,
    quiet: bool,
    preload: tuple,
    fork_preload: tuple | None = None,
) -> None:
    ensure_venv_on_path()
    from autograder.grading.logs import quiet_libraries

    quiet_libraries()
    import logging

    from nbgrader.apps import NbGraderAPI
    from nbgrader.converters import Autograde
    from traitlets.utils.importstring import import_item

    from autograder.grading.execution import pool as kpool

    cfg = build_config(Path(course_dir), db_url)
    install_gradebook_lock(db_url)
    if use_pool:
        if "autograde_preprocessors" in cfg.Autograde:
            pre = list(cfg.Autograde.autograde_preprocessors)
        else:
            pre = list(Autograde.class_traits()["autograde_preprocessors"].default())
        pre = [import_item(p) if isinstance(p, str) else p for p in pre]
        from nbgrader.preprocessors import Execute

        swapped = []
        execute_cls = None
        for p in pre:
            if isinstance(p, type) and issubclass(p, Execute) and execute_cls is None:
                execute_cls = p
                p = kpool.pooled_execute_class(p)
            swapped.append(p)
        cfg.Autograde.autograde_preprocessors = swapped
        if execute_cls is not None:
            # Configuration of the original class applies to the pooled subclass (traitlets
            # resolves config by class name through the MRO).
            pool = kpool.KernelPool(
                execute_cls, cfg, size=1, preload=preload, fork_preload=fork_preload
            )
            kpool.set_pool(pool)
            atexit.register(pool.close)
            pool.fill()
    if quiet:
        cfg.NbGraderAPI.log_level = "WARN"
        logging.getLogger("traitlets").setLevel(logging.WARNING)
    api = NbGraderAPI(config=cfg)
    _STATE.update(api=api, pid=os.getpid())


def _worker_run(job: Job) -> JobResult:
    from autograder.grading.execution import pool as kpool

    if "init_error" in _STATE:
        return JobResult(job.lesson, job.student, False, 0.0, error=_STATE["init_error"])
    api = _STATE["api"]
    t0 = time.perf_counter()
    try:
        res = api.autograde(job.lesson, job.student, force=True, create=True)
    finally:
        if _LOCK is not None:
            _LOCK.release_all()
    seconds = time.perf_counter() - t0
    pool = kpool.get_pool()
    t1 = time.perf_counter()
    if pool is not None:
        # The next kernel boots (pre-importing this lesson's modules: jobs come lesson-major)
        pool.fill(_STATE["preloads"].get(job.lesson, ()))
    refill = time.perf_counter() - t1
    error = ""
    if not res.get("success", False):
        error = _short_error(res)
    return JobResult(
        job.lesson,
        job.student,
        bool(res.get("success")),
        seconds,
        error=error,
        log=res.get("log", "") if error else "",
        worker=os.getpid(),
        timings={"autograde_s": seconds, "refill_s": refill},
    )


_EXC_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt))(:.*)?$")


def _short_error(res: dict) -> str:
    """One line from nbgrader's log/traceback explaining why a submission failed."""
    text = (res.get("log", "") or "") + "\n" + (res.get("error") or "")
    exc_lines = [ln.strip() for ln in text.splitlines() if _EXC_LINE.match(ln)]
    exc_lines = [ln for ln in exc_lines if not ln.startswith("nbgrader.converters.base.NbGrader")]
    if exc_lines:
        return exc_lines[0][:300] if "JSONDecodeError" in exc_lines[0] else exc_lines[-1][:300]
    for line in text.splitlines():
        if line.startswith("[ERROR]") and "Please see the error log" not in line:
            return line[len("[ERROR] ") :].strip()[:300]
    return "unknown error"


# ----------------------------------------------------------------------------- parent side
def precreate_students(db_url: str, course_id: str, students: list[str]) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id) as gb:
        for s in sorted(set(students)):
            gb.update_or_create_student(s)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def run_parallel(
    course_dir: Path,
    db_url: str,
    jobs: list[Job],
    workers: int | None = None,
    use_pool: bool = True,
    progress: bool = True,
    desc: str = "autograde",
    fork: bool = True,
) -> list[JobResult]:
    """Grade every job; returns one JobResult per job (in the order of `jobs`)."""
    from tqdm import tqdm

    from autograder.grading.config import COURSE_ID

    workers = max(1, min(workers or default_workers(), len(jobs) or 1))
    from autograder.grading.config import lesson_preload, normalize_db_url

    ensure_venv_on_path()
    db_url = normalize_db_url(db_url)
    precreate_students(db_url, COURSE_ID, [j.student for j in jobs])
    if not jobs:
        return []
    lessons = list(dict.fromkeys(j.lesson for j in jobs))
    preloads = {lesson: lesson_preload(course_dir, lesson) for lesson in lessons}
    # Lesson-major order: a worker's next kernel pre-imports what its last lesson imported.
    order = sorted(jobs, key=lambda j: (lessons.index(j.lesson), j.student))
    ctx = mp.get_context("spawn")
    results: dict[Job, JobResult] = {}
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(str(course_dir), db_url, use_pool, True, preloads, order[0].lesson, fork, True),
    ) as ex:
        futs = {ex.submit(_worker_run, j): j for j in order}
        with tqdm(
            total=len(jobs), desc=desc, unit="nb", disable=not progress, dynamic_ncols=True
        ) as bar:
            for fut in as_completed(futs):
                job = futs[fut]
                try:
                    results[job] = fut.result()
                except Exception as exc:  # a worker died (OOM, killed): report, keep going
                    results[job] = JobResult(job.lesson, job.student, False, 0.0, error=str(exc))
                bar.update(1)
    return [results[j] for j in jobs]


def run_serial_inprocess(course_dir: Path, db_url: str, jobs: list[Job]) -> list[JobResult]:
    """Reference: one process, stock Execute, jobs one after another (tests compare to this)."""
    ensure_venv_on_path()
    from nbgrader.apps import NbGraderAPI

    cfg = build_config(Path(course_dir), db_url)
    cfg.NbGraderAPI.log_level = "WARN"
    api = NbGraderAPI(config=cfg)
    out = []
    for j in jobs:
        t0 = time.perf_counter()
        res = api.autograde(j.lesson, j.student, force=True, create=True)
        out.append(
            JobResult(
                j.lesson,
                j.student,
                bool(res.get("success")),
                time.perf_counter() - t0,
                error="" if res.get("success") else _short_error(res),
            )
        )
    return out


__all__ = [
    "Job",
    "JobResult",
    "run_parallel",
    "run_serial_inprocess",
    "install_gradebook_lock",
    "precreate_students",
    "default_workers",
    "is_sqlite",
]


# ----------------------------------------------------------------------------- feedback
def _feedback_init(course_dir: str, db_url: str) -> None:
    try:
        ensure_venv_on_path()
        from nbgrader.apps import NbGraderAPI

        from autograder.grading.logs import quiet_libraries
        from autograder.grading.reporting.feedback import feedback_config

        quiet_libraries()
        cfg = feedback_config(build_config(Path(course_dir), db_url))
        cfg.NbGraderAPI.log_level = "WARN"
        install_gradebook_lock(db_url)  # GetGrades may add comment rows
        _STATE["fb_api"] = NbGraderAPI(config=cfg)
    except Exception as exc:  # reported with every job of this worker
        _STATE["init_error"] = f"worker start-up failed: {type(exc).__name__}: {exc}"


def _feedback_run(pair: tuple[str, str]) -> str:
    student, lesson = pair
    if "init_error" in _STATE:
        return f"{student}/{lesson}: {_STATE['init_error']}"
    try:
        res = _STATE["fb_api"].generate_feedback(lesson, student, force=True)
    finally:
        if _LOCK is not None:
            _LOCK.release_all()
    if res.get("success"):
        return ""
    return f"{student}/{lesson}: feedback failed ({_short_error(res)})"


def feedback_parallel(
    course_dir: Path,
    db_url: str,
    pairs: list[tuple[str, str]],
    workers: int | None = None,
    progress: bool = True,
) -> list[str]:
    """GenerateFeedback (with our preprocessors) for each (student, lesson), in N processes."""
    from tqdm import tqdm

    from autograder.grading.config import normalize_db_url

    if not pairs:
        return []
    workers = max(1, min(workers or default_workers(), len(pairs)))
    problems = []
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=mp.get_context("spawn"),
        initializer=_feedback_init,
        initargs=(str(course_dir), normalize_db_url(db_url)),
    ) as ex:
        futs = [ex.submit(_feedback_run, p) for p in pairs]
        with tqdm(total=len(futs), desc="feedback", unit="nb", disable=not progress) as bar:
            for fut in as_completed(futs):
                try:
                    line = fut.result()
                except Exception as exc:  # a worker died
                    line = f"feedback worker failed: {exc}"
                if line:
                    problems.append(line)
                bar.update(1)
    return problems
