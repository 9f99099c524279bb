"""Dask distributed as the grading engine: a LocalCluster by default, or an existing scheduler.

Why Dask: one machine needs no set-up (`LocalCluster`), and the same code grades on a university's
Slurm cluster (dask-jobqueue) or Kubernetes (dask operator) by pointing `--scheduler` at it.

Design
- No shared filesystem: a task carries the submission's files (`shipping.Submission`) and
  returns the graded files and the submission's gradebook rows (`shipping.Graded`); the client
  is the only writer of the course folder and of the gradebook (SQLite or PostgreSQL).
- A worker prepares itself once (`GradingPlugin.setup`): a private scratch course built from
  what the client ships once (the course config, the lessons' source/ and their gradebook
  definitions), its own SQLite gradebook, and the grader of `workers._worker_init` on it (the
  nbgrader config, `NbGraderAPI` and the warm sandboxed fork server), so the imports are paid
  once per worker, not once per notebook. Each task then grades through `workers._worker_run`,
  the same path as the process pool.
- Tasks are impure (`pure=False`) and retried on a lost worker (`retries`). The client writes a
  submission's answer once, when its future completes, by update-or-create: a retried task or a
  rerun overwrites the grades, it never adds a second row (nothing lost or counted twice).
- The client writes the autograded notebooks after the grades, so `autograde --resume` after a
  killed client grades only the submissions whose notebooks are missing.
- Workers run one task at a time (`threads_per_worker=1`): a worker owns one fork server and one
  pre-started kernel, like a process of `workers.run_parallel`.
- Worker processes are not daemonic: the fork server and kernels are their children.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from autograder.grading.execution import shipping as S
from autograder.grading.execution import workers as W

# The one-line message for a scheduler address that is not a Dask scheduler URL.
_ADDRESS_HINT = "expected e.g. tcp://host:8786"


class GradingError(Exception):
    """A problem the user can fix, reported in one line."""


def _setup_args(bundle: dict, use_pool: bool, preloads: dict, first: str) -> tuple:
    return (bundle, use_pool, preloads, first)


class GradingPlugin(WorkerPlugin):
    """WorkerPlugin: build the scratch course and the grader (warm fork server) once per worker."""

    name = "backprop-grading"

    def __init__(self, args: tuple):
        self.args = args

    async def setup(self, worker=None):
        # In the worker's task thread, not on its event loop: jupyter_client's blocking calls
        # run their own loop, and the pool must live in the thread that grades.
        import asyncio

        if "api" in W._STATE or worker is None:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(worker.executors["default"], S.prepare_worker, *self.args)

    def teardown(self, worker=None):
        from autograder.grading.execution import pool as kpool

        pool = kpool.get_pool()
        if pool is not None:
            pool.close()
        if "scratch" in W._STATE:
            shutil.rmtree(W._STATE["scratch"], ignore_errors=True)


def grade_task(sub: S.Submission, args: tuple) -> S.Graded:
    """Run on a worker: grade one submission (sets the worker up first if no plugin did)."""
    if "api" not in W._STATE and "init_error" not in W._STATE:
        S.prepare_worker(*args)
    return S.grade_submission(sub)


def _local_cluster(workers: int):
    import dask
    from distributed import LocalCluster

    # Kernels and the fork server are children of the worker: it must not be daemonic.
    dask.config.set({"distributed.worker.daemon": False, "distributed.admin.tick.limit": "60s"})
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )


def _slurm_kwargs(cores: int, memory: str, walltime: str, queue: str | None) -> dict:
    return dict(
        cores=cores,
        processes=cores,  # single-threaded worker processes: one fork server each
        memory=memory,
        walltime=walltime,
        queue=queue,
        job_name="backprop-grade",
        # The fork server and kernels are children of the worker: not a daemonic process.
        job_script_prologue=["export DASK_DISTRIBUTED__WORKER__DAEMON=False"],
        scheduler_options={"dashboard_address": None, "host": "127.0.0.1"},
    )


def slurm_cluster(
    cores: int = 2,
    memory: str = "4GB",
    walltime: str = "01:00:00",
    queue: str | None = None,
    jobs: int = 1,
):
    """A dask-jobqueue SLURMCluster whose batch jobs each run one `dask worker` of `cores`
    single-threaded processes (one fork server each); `scale(jobs=...)` submits the jobs."""
    from dask_jobqueue import SLURMCluster

    kwargs = _slurm_kwargs(cores, memory, walltime, queue)
    kwargs["scheduler_options"] = {"dashboard_address": None}  # reachable from the nodes
    cluster = SLURMCluster(**kwargs)
    cluster.scale(jobs=jobs)
    return cluster


def slurm_job_script(
    cores: int = 2, memory: str = "4GB", walltime: str = "01:00:00", queue: str | None = None
) -> str:
    """The batch script `--cluster slurm` would submit (no Slurm needed to see it)."""
    from dask_jobqueue import SLURMCluster

    with SLURMCluster(**_slurm_kwargs(cores, memory, walltime, queue)) as cluster:
        return cluster.job_script()


def connect(scheduler: str | None, workers: int, cluster_kind: str = "local", slurm=None):
    """A Client on the given scheduler, a Slurm cluster, or a new LocalCluster of `workers`."""
    from distributed import Client

    if cluster_kind == "slurm":
        try:
            cluster = slurm_cluster(**(slurm or {}))
        except Exception as exc:  # sbatch missing, bad option: one line
            raise GradingError(f"--cluster slurm: {type(exc).__name__}: {exc}") from None
        return Client(cluster), cluster
    if scheduler:
        if "://" not in scheduler:
            raise GradingError(f"--scheduler {scheduler!r}: {_ADDRESS_HINT}")
        try:
            return Client(scheduler, timeout="20s"), None
        except OSError as exc:
            raise GradingError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    cluster = _local_cluster(workers)
    return Client(cluster), cluster


def run_dask(
    course_dir: Path,
    db_url: str,
    jobs: list[W.Job],
    workers: int | None = None,
    use_pool: bool = True,
    progress: bool = True,
    scheduler: str | None = None,
    retries: int = 2,
    desc: str = "autograde",
    cluster_kind: str = "local",
    slurm: dict | None = None,
) -> list[W.JobResult]:
    """Grade every job on Dask; one JobResult per job, in the order of `jobs`."""
    from distributed import as_completed
    from tqdm import tqdm

    from autograder.grading.config import COURSE_ID, build_config, lesson_preload, normalize_db_url

    W.ensure_venv_on_path()
    db_url = normalize_db_url(db_url)
    W.precreate_students(db_url, COURSE_ID, [j.student for j in jobs])
    if not jobs:
        return []
    workers = max(1, min(workers or W.default_workers(), len(jobs)))
    lessons = list(dict.fromkeys(j.lesson for j in jobs))
    preloads = {lesson: lesson_preload(course_dir, lesson) for lesson in lessons}
    order = sorted(jobs, key=lambda j: (lessons.index(j.lesson), j.student))
    args = _setup_args(
        S.course_bundle(course_dir, db_url, lessons), use_pool, preloads, order[0].lesson
    )
    granted = S.extensions(db_url, lessons)
    cfg = build_config(course_dir, db_url)  # the client's own AssignLatePenalties (see store)
    # The worker processes find the project (and the kernels the venv) like the spawn pool does.
    os.environ.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[3]))
    client, cluster = connect(scheduler, workers, cluster_kind, slurm)
    results: dict[W.Job, W.JobResult] = {}
    try:
        client.register_plugin(GradingPlugin(args), name=GradingPlugin.name)
        futs = {
            client.submit(
                grade_task,
                S.pack_submission(course_dir, j, granted.get(j)),
                args,
                pure=False,
                retries=retries,
                key=f"grade-{j.lesson}-{j.student}",
            ): j
            for j in order
        }
        with tqdm(
            total=len(jobs), desc=desc, unit="nb", disable=not progress, dynamic_ncols=True
        ) as bar:
            for fut in as_completed(futs):
                results[futs[fut]] = _collect(fut, futs[fut], course_dir, db_url, cfg)
                bar.update(1)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [results[j] for j in jobs]


def _collect(fut, job: W.Job, course_dir: Path, db_url: str, cfg) -> W.JobResult:
    """The job's result, its answer written to the course folder and gradebook (client only)."""
    try:
        graded = fut.result()
    except Exception as exc:  # lost more often than `retries`: report, keep going
        msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return W.JobResult(job.lesson, job.student, False, 0.0, error=msg)
    fut.release()  # the graded files leave the cluster's memory
    S.store(course_dir, db_url, cfg, graded)
    return graded.result
