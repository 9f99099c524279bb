"""SandboxedExecute: nbgrader's Execute with the kernel in the sandbox and the run made unkillable.

See ``autograder.grading.execution.sandbox`` for what the sandbox is.
"""

from __future__ import annotations

import json
import time
from typing import Any

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, Unicode

from autograder.grading.config import grading_seed_from
from autograder.grading.execution.needed_cells import needed_cells
from autograder.grading.execution.sandbox import (
    DEFAULT_LIMITS,
    Limits,
    MiB,
    SandboxedKernelManager,
    SandboxUnavailable,
    check_host,
)
from autograder.grading.scoring import student_inputs
from autograder.student.contract import RECORD_MIME, STUDENT_KEY_ENV


def _flag(resources: dict, code: str, reason: str, notebook: str = "", cell: str = "") -> None:
    integ = resources.setdefault("integrity", {})
    integ.setdefault("flags", []).append(
        {"code": code, "notebook": notebook, "cell": cell, "reason": reason}
    )


class SandboxedExecute(Execute):
    """nbgrader's Execute, with the kernel in the sandbox and the run made unkillable.

    - the whole notebook has a wall-time budget (``notebook_timeout``); each cell gets
      ``timeout`` s (nbgrader's trait) but never more than the budget left;
    - a cell that times out is interrupted; if the kernel does not come back within
      ``interrupt_grace`` s it is killed;
    - once the kernel is dead (os._exit, OOM, CPU limit, killed) the remaining code cells get an
      error output and are not run: the cells that already ran keep their outputs (and their
      record bundles, so ``TrustedScores`` still scores them);
    - outputs are capped per cell and per notebook (record bundles have their own cap).
    """

    notebook_timeout = Float(600.0, help="Wall-time limit for a whole notebook (s).").tag(
        config=True
    )
    interrupt_grace = Float(5.0).tag(config=True)
    max_cell_output_bytes = Integer(1 * MiB).tag(config=True)
    max_notebook_output_bytes = Integer(8 * MiB).tag(config=True)
    max_record_bytes = Integer(8 * MiB).tag(config=True)
    grading_seed = Unicode(None, allow_none=True, help="BACKPROP_GRADING_SEED for kernels").tag(
        config=True
    )
    cpu_seconds = Integer(DEFAULT_LIMITS.cpu_seconds).tag(config=True)
    address_space = Integer(DEFAULT_LIMITS.address_space).tag(config=True)
    tasks = Integer(DEFAULT_LIMITS.tasks).tag(config=True)
    file_size = Integer(DEFAULT_LIMITS.file_size).tag(config=True)
    # A tag students cannot guess: stock "skip-execution" would let them skip test cells.
    # tests/test_grading_pruning.py: scores identical to running every cell, on the example
    # class and every catalogued wrong answer
    prune_unneeded_cells = Bool(
        True,
        help="Skip the lesson's own cells that grading does not need (execution/needed_cells.py); "
        "False runs every cell, as stock nbgrader does.",
    ).tag(config=True)
    skip_cells_with_tag = Unicode("backprop-grader-never-skips-d41d8cd9").tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        self._sandbox_kms: list[SandboxedKernelManager] = []
        super().__init__(*args, **kwargs)

    def create_kernel_manager(self) -> SandboxedKernelManager:
        check_host()
        limits = Limits(
            cpu_seconds=self.cpu_seconds,
            address_space=self.address_space,
            tasks=self.tasks,
            file_size=self.file_size,
        )
        self.km = SandboxedKernelManager(
            kernel_name=self.kernel_name, config=self.config, limits=limits
        )
        self.km.grading_seed = self.seed()
        self._sandbox_kms.append(self.km)  # nbclient drops self.km on cleanup: keep a handle
        return self.km

    def seed(self) -> str:
        """The grading seed for the kernel: the run's one seed, as TrustedScores resolves it
        (``config.grading_seed_from``: c.TrustedScores.grading_seed, else this trait, else env
        BACKPROP_GRADING_SEED, else 0). Were this trait to win over TrustedScores', a course
        configuring both differently would record every answer with the wrong seed (all 0)."""
        trusted = self.config.get("TrustedScores", {}).get("grading_seed")
        if trusted in (None, "") and self.grading_seed not in (None, ""):
            return str(self.grading_seed)  # set on this instance only (not through config)
        return str(grading_seed_from(self.config))

    # -- the student's key -------------------------------------------------------------------
    async def async_start_new_kernel_client(self):
        """Start the client, then hand the kernel this student's key (before any student code).

        Kernels are started (or forked, or pooled) before the student is known, so the key
        cannot be in their environment at launch: it is set in ``os.environ`` by one silent
        execution here. The kernel gets HMAC(course secret, student id), never the secret."""
        kc = await super().async_start_new_kernel_client()
        key = getattr(self, "_student_key", "")
        if key:
            code = f"__import__('os').environ[{STUDENT_KEY_ENV!r}] = {key!r}"
            msg_id = kc.execute(code, silent=True, store_history=False)
            await self.async_wait_for_reply(msg_id)
        return kc

    # nbclient's sync setup_kernel() calls this name, bound to the base class's coroutine.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    # -- the notebook --------------------------------------------------------------------
    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        resources = resources if resources is not None else {}
        self._student_key = student_inputs.key_for(self.config, resources)
        self._nb_name = str(resources.get("unique_key", ""))
        self._deadline = time.monotonic() + self.notebook_timeout
        self._dead_reason = ""
        self._nb_bytes = 0
        self._truncated_cells: set[int] = set()
        self._resources = resources
        self._keep = needed_cells(list(nb.cells)) if self.prune_unneeded_cells else None
        try:
            return super().preprocess(nb, resources, km)
        except SandboxUnavailable:
            raise
        except Exception as exc:  # kernel never started, or died during setup/teardown
            _flag(
                resources,
                "kernel_failed",
                f"kernel failed: {type(exc).__name__}: {exc}",
                self._nb_name,
            )
            self.log.error("sandboxed kernel failed for %s: %s", self._nb_name, exc)
            for cell in nb.cells:
                if cell.cell_type == "code" and "outputs" not in cell:
                    cell.outputs = []
            return nb, resources
        finally:
            for km_ in [getattr(self, "km", None), *self._sandbox_kms]:
                if isinstance(km_, SandboxedKernelManager):
                    km_.cleanup_scratch()
            self._sandbox_kms = []

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        base = super()._get_timeout(cell)
        left = max(1, int(self._deadline - time.monotonic()))
        return left if base is None else min(base, left)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {index}")
        if self._keep is not None and index not in self._keep:
            cell.outputs = [_skipped()]
            cell.metadata.setdefault("backprop_grader", {})["not_run"] = "not needed for grading"
            return cell, resources
        if self._dead_reason:
            cell.outputs = [_not_run(self._dead_reason)]
            return cell, resources
        if time.monotonic() >= self._deadline:
            self._dead_reason = f"notebook wall-time limit ({self.notebook_timeout:.0f} s) reached"
            _flag(self._resources, "wall_timeout", self._dead_reason, self._nb_name, grade_id)
            cell.outputs = [_not_run(self._dead_reason)]
            self._kill()
            return cell, resources
        self._cell_bytes = 0
        self._cell_records = 0
        self._cur_index = index
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead_reason = "the kernel died (os._exit, memory/CPU limit or killed)"
            _flag(self._resources, "kernel_died", self._dead_reason, self._nb_name, grade_id)
            cell.setdefault("outputs", []).append(_not_run(self._dead_reason))
            return cell, resources
        except CellTimeoutError as exc:
            # No "idle" on IOPub (e.g. a message over the size limit cut the connection).
            reason = f"timeout waiting for the kernel's output: {exc}".split("\n")[0]
            _flag(self._resources, "timeout", reason, self._nb_name, grade_id)
            cell.setdefault("outputs", []).append(_not_run(reason))
            if not self._kernel_recovers():
                self._dead_reason = "the kernel did not stop after a timeout and was killed"
                _flag(self._resources, "kernel_killed", self._dead_reason, self._nb_name, grade_id)
                self._kill()
            return cell, resources
        except SandboxUnavailable:
            raise
        except Exception as exc:  # e.g. a forged message the client cannot even decode
            self._dead_reason = f"the kernel broke the protocol ({type(exc).__name__}); stopped"
            _flag(self._resources, "kernel_protocol", self._dead_reason, self._nb_name, grade_id)
            cell.setdefault("outputs", []).append(_not_run(self._dead_reason))
            self._kill()
            return cell, resources
        if self._timed_out(cell):
            reason = f"cell timed out after {self._get_timeout(cell)} s"
            _flag(self._resources, "timeout", reason, self._nb_name, grade_id)
            if not self._kernel_recovers():
                self._dead_reason = "the kernel did not stop after a timeout and was killed"
                _flag(self._resources, "kernel_killed", self._dead_reason, self._nb_name, grade_id)
                self._kill()
        if index in self._truncated_cells:
            _flag(
                self._resources,
                "output_truncated",
                f"output over {self.max_cell_output_bytes} bytes (cell) or "
                f"{self.max_notebook_output_bytes} bytes (notebook) was dropped",
                self._nb_name,
                grade_id,
            )
        return cell, resources

    @staticmethod
    def _timed_out(cell: NotebookNode) -> bool:
        return any(
            o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
            for o in cell.get("outputs", [])
        )

    def _kernel_recovers(self) -> bool:
        """After an interrupt: does a trivial execution come back within the grace period?"""

        async def probe() -> bool:
            msg_id = self.kc.execute("", store_history=False)
            end = time.monotonic() + self.interrupt_grace
            while time.monotonic() < end:
                try:
                    msg = await self.kc.shell_channel.get_msg(timeout=0.5)
                except Exception:  # noqa: BLE001 - queue.Empty or a dead channel
                    continue
                if msg["parent_header"].get("msg_id") == msg_id:
                    return True
            return False

        try:
            return bool(self._run_async(probe()))
        except Exception:  # noqa: BLE001
            return False

    def _run_async(self, coro):
        from jupyter_core.utils import run_sync

        async def wrap():
            return await coro

        return run_sync(wrap)()

    def _kill(self) -> None:
        try:
            if self.km is not None and self.km.has_kernel:
                self._run_async(self.km.shutdown_kernel(now=True))
        except Exception as exc:  # noqa: BLE001
            self.log.warning("could not kill the sandboxed kernel: %s", exc)

    # -- output caps ------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        data = content.get("data") or {}
        if msg.get("msg_type") in ("display_data", "execute_result") and RECORD_MIME in data:
            size = len(json.dumps(data.get(RECORD_MIME), default=str))
            self._cell_records += 1
            if size > self.max_record_bytes or self._cell_records > 16:
                self._truncated_cells.add(cell_index)
                return None
            return super().output(outs, msg, display_id, cell_index)
        size = len(json.dumps(content, default=str))
        self._cell_bytes += size
        self._nb_bytes += size
        if (
            self._cell_bytes > self.max_cell_output_bytes
            or self._nb_bytes > self.max_notebook_output_bytes
        ):
            self._truncated_cells.add(cell_index)
            return None
        return super().output(outs, msg, display_id, cell_index)


def _not_run(reason: str) -> NotebookNode:
    return NotebookNode(
        output_type="error",
        ename="SandboxError",
        evalue=reason,
        traceback=[f"SandboxError: {reason} (this cell was not run; it scores 0)"],
    )


def _skipped() -> NotebookNode:
    return NotebookNode(
        output_type="stream",
        name="stdout",
        text="[not run by the grader: no graded cell needs this cell]\n",
    )
