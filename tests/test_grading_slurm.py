"""`--cluster slurm`: the batch script dask-jobqueue would submit, checked without a Slurm."""

from __future__ import annotations

import re

from autograder.grading.cli.app import build_parser
from autograder.grading.execution.dask_engine import slurm_job_script


def test_job_script_asks_slurm_for_what_the_options_say():
    script = slurm_job_script(cores=4, memory="8GB", walltime="02:30:00", queue="teaching")
    assert script.startswith("#!/")
    sbatch = dict(re.findall(r"^#SBATCH\s+(-\w|--[\w-]+)[ =](\S+)", script, flags=re.M))
    assert sbatch.get("-J") == "backprop-grade" or sbatch.get("--job-name") == "backprop-grade"
    assert sbatch.get("-p") == "teaching" or sbatch.get("--partition") == "teaching"
    assert sbatch.get("-t") == "02:30:00" or sbatch.get("--time") == "02:30:00"
    assert re.search(r"^#SBATCH\s+--mem=7\.45G|^#SBATCH\s+--mem=8G", script, flags=re.M), script
    assert re.search(r"^#SBATCH\s+--cpus-per-task=4", script, flags=re.M), script
    # the worker: 4 single-threaded processes, not daemonic (kernels are their children)
    assert "export DASK_DISTRIBUTED__WORKER__DAEMON=False" in script
    worker = next(line for line in script.splitlines() if "distributed.cli.dask_worker" in line)
    assert "--nthreads 1" in worker and "--nworkers 4" in worker, worker


def test_autograde_help_shows_the_cluster_options():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    text = sub.choices["autograde"].format_help()
    for flag in ("--scheduler", "--cluster", "--cores", "--memory", "--walltime", "--queue"):
        assert flag in text
