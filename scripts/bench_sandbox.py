"""Cost of the grading sandbox per notebook: kernel start and whole-notebook execution, with
and without bubblewrap.

    .venv/bin/python scripts/bench_sandbox.py [--runs 5] [--notebook PATH]

Prints the median (and min/max) wall time of
- starting a kernel until it answers kernel_info (stock AsyncKernelManager vs the sandboxed
  one: bwrap + setpriv + prlimit, ZMQ over ipc sockets, scratch copy), and
- executing a whole notebook (nbgrader's Execute vs SandboxedExecute), by default lesson 01's
  source notebook (it imports numpy, matplotlib, tqdm and the checks).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

from autograder.grading.execution.sandbox import (  # noqa: E402
    SandboxedKernelManager,
    sandbox_env,
)
from autograder.grading.execution.sandboxed_execute import SandboxedExecute  # noqa: E402


async def _start(cls, cwd: str) -> float:
    t0 = time.perf_counter()
    km = cls(kernel_name="python3")
    await km.start_kernel(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=120)
    took = time.perf_counter() - t0
    kc.stop_channels()
    await km.shutdown_kernel(now=True)
    if isinstance(km, SandboxedKernelManager):
        km.cleanup_scratch()
    return took


def _run_nb(cls, path: Path, cwd: str) -> float:
    nb = nbformat.read(path, as_version=4)
    ep = cls(timeout=120, kernel_name="python3")
    t0 = time.perf_counter()
    ep.preprocess(nb, {"metadata": {"path": cwd}, "unique_key": path.stem})
    return time.perf_counter() - t0


def _fmt(xs: list[float]) -> str:
    return f"median {statistics.median(xs):6.2f} s   (min {min(xs):.2f}, max {max(xs):.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--notebook",
        type=Path,
        default=REPO / "source" / "01_single_neuron" / "01_single_neuron.ipynb",
    )
    args = ap.parse_args()
    cwd = tempfile.mkdtemp(prefix="bench-sandbox-")
    rows = {}
    for name, cls in (("stock", AsyncKernelManager), ("sandboxed", SandboxedKernelManager)):
        rows[name] = [asyncio.run(_start(cls, cwd)) for _ in range(args.runs)]
        print(f"kernel start, {name:9s}: {_fmt(rows[name])}", flush=True)
    extra = statistics.median(rows["sandboxed"]) - statistics.median(rows["stock"])
    print(f"kernel start, sandbox cost: {extra:+.2f} s per notebook")
    if args.notebook.exists():
        runs = max(1, args.runs // 2)
        nbrows = {}
        for name, cls in (
            ("stock", Execute),
            ("stock+env", Execute),
            ("sandboxed", SandboxedExecute),
        ):
            # stock+env: the stock kernel with the sandbox's environment (1 OMP thread, Agg),
            # so that the difference is the sandbox itself
            saved = dict(os.environ)
            if name == "stock+env":
                os.environ.update(
                    {k: v for k, v in sandbox_env().items() if k not in ("HOME", "PATH", "TMPDIR")}
                )
            try:
                nbrows[name] = [_run_nb(cls, args.notebook, cwd) for _ in range(runs)]
            finally:
                os.environ.clear()
                os.environ.update(saved)
            print(f"{args.notebook.name}, {name:9s}: {_fmt(nbrows[name])}", flush=True)
        extra = statistics.median(nbrows["sandboxed"]) - statistics.median(nbrows["stock+env"])
        print(f"whole notebook, sandbox cost (vs stock+env): {extra:+.2f} s per notebook")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
