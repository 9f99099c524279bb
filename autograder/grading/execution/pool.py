"""A pool of pre-started kernels for nbgrader's Execute preprocessor (one worker process).

Still ONE FRESH KERNEL PER SUBMISSION: a kernel is started (and pre-imports numpy, matplotlib,
torch through IPython's `exec_lines`, i.e. before any student code exists) while the worker is
busy with the previous submission, handed to exactly one notebook, and shut down after it.
What the pool hides is the kernel's start-up latency (process start, ipykernel and numpy/torch
imports: about 1-2 s here), not any isolation between students.

How it plugs in: `pooled_execute_class(cls)` makes a subclass of the configured Execute class
(nbgrader's Execute, or H7's SandboxedExecute) whose `create_kernel_manager` takes the kernel
from the worker's pool. The subclass replaces that class in `Autograde.autograde_preprocessors`
in the worker's traitlets Config; every other preprocessor is untouched.

Sandbox: the pool asks an instance of the configured Execute class for its kernel manager
(`create_kernel_manager()`), so SandboxedExecute's SandboxedKernelManager launches the pooled
kernels through bwrap exactly as it launches its own. A sandboxed kernel starts with an empty
scratch dir (`km.scratch`, from sandbox.make_scratch); at hand-over the submission's files are
copied into `km.scratch.work` for `km.scratch.uid` (sandbox.copy_submission) - the same copy
the sandbox makes when it starts a kernel itself. A stock kernel is `chdir`ed into the
submission's folder instead (the cwd stock nbgrader uses).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop, run_sync

_PRELOAD_LINE = (
    'exec("for _m in {mods!r}:\\n'
    "    try:\\n"
    "        __import__(_m)\\n"
    "    except Exception:\\n"
    "        pass\\n"
    'del _m")'
)


class KernelPool:
    """Keeps `size` started kernels ready (size 1 per worker is enough: one is always booting)."""

    def __init__(
        self, execute_cls, config, size: int = 1, preload=(), fork_preload=None, fork=True
    ):
        """fork_preload: modules for a zygote (zygote.py) to import once; None = no forking.

        fork=True (default) with SandboxedExecute: kernels are forked from a zygote that runs
        inside the sandbox (zygote.SandboxZygote) when the grader is root and bwrap works;
        if it cannot start, kernels are started through bwrap one by one as before.
        Env BACKPROP_SANDBOX_FORK=0 turns the sandboxed zygote off (A/B timing, debugging)."""
        self.execute_cls = execute_cls
        self.config = config
        self.size = size
        self.preload = tuple(preload)
        self.zygote = None
        self.sandbox_zygote = None
        self._handed: list = []
        if fork_preload is not None and fork and self._stock_kernels():
            from autograder.grading.execution.zygote import Zygote

            self.zygote = Zygote(tuple(fork_preload))
        elif (
            fork_preload is not None
            and fork
            and os.environ.get("BACKPROP_SANDBOX_FORK", "1") != "0"
            and self._sandboxed_kernels()
        ):
            from autograder.grading.execution.zygote import SandboxZygote

            try:
                probe = self.execute_cls(config=self.config)
                self.sandbox_zygote = SandboxZygote(tuple(fork_preload), seed=probe.seed())
            except Exception as exc:  # noqa: BLE001 - fall back to one bwrap per kernel
                import logging

                logging.getLogger(__name__).warning(
                    "sandboxed kernel template unavailable (%s); starting kernels one by one", exc
                )
        self.ready: list[tuple[AsyncKernelManager, str]] = []
        self.stats = {"kernels": 0, "start_s": 0.0, "from_pool": 0}
        self._tmp = Path(tempfile.mkdtemp(prefix="kernelpool-"))

    def _extra_arguments(self) -> list[str]:
        args = ["--HistoryManager.hist_file=:memory:"]
        if self.preload:
            args.append("--IPKernelApp.exec_lines=" + _PRELOAD_LINE.format(mods=self.preload))
        return args

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Same environment nbgrader's Autograde sets around execution (check() only prints).
        env["NBGRADER_EXECUTION"] = "autograde"
        return env

    def _start_one(self) -> None:
        t0 = time.perf_counter()
        workdir = tempfile.mkdtemp(prefix="slot-", dir=self._tmp)
        # The configured Execute class makes the kernel manager: stock AsyncKernelManager, or
        # H7's SandboxedKernelManager (bwrap launch, scratch dir, ipc sockets).
        probe = self.execute_cls(config=self.config)
        if not probe.kernel_name:
            probe.kernel_name = "python3"
        if self.zygote is not None:
            from autograder.grading.execution.zygote import ForkKernelManager

            km = ForkKernelManager(kernel_name=probe.kernel_name, config=self.config)
            km.zygote = self.zygote
            km.log_path = str(Path(workdir).parent / f"{Path(workdir).name}.log")
        elif self.sandbox_zygote is not None:
            from autograder.grading.execution.sandbox import Limits
            from autograder.grading.execution.zygote import SandboxForkKernelManager

            limits = Limits(
                cpu_seconds=probe.cpu_seconds,
                address_space=probe.address_space,
                tasks=probe.tasks,
                file_size=probe.file_size,
            )
            km = SandboxForkKernelManager(
                kernel_name=probe.kernel_name,
                config=self.config,
                zygote=self.sandbox_zygote,
                limits=limits,
                seed=probe.seed(),
            )
        else:
            km = probe.create_kernel_manager()
        loop = ensure_event_loop()
        # Kernel chatter (start-up warnings) goes to a log file, not over the progress bars.
        log = open(Path(workdir).parent / f"{Path(workdir).name}.log", "wb")  # noqa: SIM115
        try:
            loop.run_until_complete(
                km.start_kernel(
                    extra_arguments=self._extra_arguments(),
                    cwd=workdir,
                    env=self._env(),
                    stdout=log,
                    stderr=log,
                )
            )
        finally:
            log.close()
        self.ready.append((km, workdir))
        self.stats["kernels"] += 1
        self.stats["start_s"] += time.perf_counter() - t0

    def _stock_kernels(self) -> bool:
        """True when the configured Execute launches plain local kernels (no sandbox)."""
        from nbclient import NotebookClient

        probe = self.execute_cls(config=self.config)
        own_km = type(probe).create_kernel_manager is not NotebookClient.create_kernel_manager
        return probe.kernel_manager_class is AsyncKernelManager and not own_km

    def _sandboxed_kernels(self) -> bool:
        """True when the configured Execute is (a subclass of) SandboxedExecute."""
        from autograder.grading.execution.sandboxed_execute import SandboxedExecute

        return issubclass(self.execute_cls, SandboxedExecute)

    def fill(self, preload: tuple[str, ...] | None = None) -> None:
        """Start kernels until `size` are booting/ready (called between submissions)."""
        if preload is not None:
            self.preload = tuple(preload)
        # A forked sandboxed kernel's job is over: kill whatever its uid still runs, drop its dir
        # (idempotent; shutdown_kernel normally did it already).
        for km in self._handed:
            km.cleanup_scratch()
        self._handed.clear()
        while len(self.ready) < self.size:
            self._start_one()

    def take(self) -> tuple[AsyncKernelManager, str] | None:
        if not self.ready:
            return None
        self.stats["from_pool"] += 1
        km, workdir = self.ready.pop(0)
        if self.sandbox_zygote is not None and hasattr(km, "cleanup_scratch"):
            self._handed.append(km)
        return km, workdir

    def close(self) -> None:
        loop = ensure_event_loop()
        for km, _ in self.ready:
            try:
                loop.run_until_complete(km.shutdown_kernel(now=True))
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        self.ready.clear()
        for km in self._handed:
            km.cleanup_scratch()
        if self.zygote is not None:
            self.zygote.close()
        if self.sandbox_zygote is not None:
            self.sandbox_zygote.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


_POOL: KernelPool | None = None


def set_pool(pool: KernelPool | None) -> None:
    global _POOL
    _POOL = pool


def get_pool() -> KernelPool | None:
    return _POOL


class _PooledMixin:
    """Takes the kernel from the worker's pool instead of starting one per notebook."""

    _pool_workdir: str | None = None

    def create_kernel_manager(self):
        pool = get_pool()
        taken = pool.take() if pool is not None else None
        if taken is None:
            self._pool_workdir = None
            return super().create_kernel_manager()
        self.km, self._pool_workdir = taken
        return self.km

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        if self._pool_workdir is not None:
            path = self.resources.get("metadata", {}).get("path") or "."
            scratch = getattr(self.km, "scratch", None)
            if scratch is not None:
                # Sandboxed kernel: its cwd (/home/student) is the scratch copy, made empty at
                # start; give it the submission's files now, as the sandbox would have.
                from autograder.grading.execution import sandbox

                sandbox.copy_submission(Path(path), Path(scratch.work), scratch.uid)
            else:
                code = f"__import__('os').chdir({os.path.abspath(path)!r})"
                msg_id = kc.execute(code, silent=True, store_history=False)
                await self.async_wait_for_reply(msg_id)
        return kc

    # nbclient's sync setup_kernel() calls this name, bound to the base class's coroutine.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


def pooled_execute_class(cls):
    """A subclass of the configured Execute class that draws kernels from the pool."""
    if issubclass(cls, _PooledMixin):
        return cls
    # The kernel is discarded after the notebook: kill it instead of nbclient's graceful
    # shutdown, which waits ~0.5 s for the kernel to exit (no effect on outputs or grades).
    from traitlets import Enum

    ns = {
        "__module__": __name__,
        "shutdown_kernel": Enum(["graceful", "immediate"], default_value="immediate"),
    }
    return type(f"Pooled{cls.__name__}", (_PooledMixin, cls), ns)
