"""Fork-server kernels: a fresh kernel per submission, forked from a pre-imported template.

Measured here (bench): of ~6 s per notebook, ~1.4 s is the kernel's start (Python, ipykernel)
and ~1.8 s the setup cell's imports (numpy, matplotlib, tqdm, autograder.student; torch in
lesson 05). On a shared 2-core machine that is CPU, and running notebooks side by side does not
make CPU appear. A template process (the "zygote", one per worker) imports ipykernel and those
modules ONCE, never runs any student code, and `fork()`s one child per submission; the child
becomes an ordinary ipykernel (`IPKernelApp`) on the connection file jupyter_client wrote.
Every submission still gets its own new process: nothing a student does can reach the template
or another student's kernel. The child re-seeds numpy/random/torch RNGs from the OS (a forked
RNG state would be shared otherwise) and starts its own ZMQ context (the template creates none).

Only for unsandboxed kernels: a sandboxed kernel must be launched by bwrap itself (H7's
sandbox.py), so with SandboxedExecute the pool starts kernels through the sandbox instead.

Protocol (worker <-> zygote, JSON lines on the zygote's stdin/stdout):
  -> {"argv": [...kernel argv...], "cwd": "...", "env": {...}, "log": "/path/kernel.log"}
  <- {"pid": 1234}
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from jupyter_client.manager import AsyncKernelManager


# ----------------------------------------------------------------------------- zygote side
def _child(req: dict) -> None:
    """In the forked child: become an ipykernel for req["argv"]."""
    try:
        os.setsid()
        log = os.open(req.get("log") or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        sys.path[0] = req["cwd"]  # as `python -m ipykernel_launcher` started in cwd would have
        _reseed()
        argv = list(req["argv"])
        # argv = [python, -m, ipykernel_launcher, -f, conn, ...]: keep what follows the module
        i = argv.index("-m") + 2 if "-m" in argv else 1
        sys.argv = ["ipykernel_launcher", *argv[i:]]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
    except SystemExit as exc:
        os._exit(exc.code if isinstance(exc.code, int) else 0)
    except BaseException:  # noqa: BLE001 - the child must never return into the zygote loop
        import traceback

        traceback.print_exc()
        os._exit(1)
    os._exit(0)


def _reseed() -> None:
    import random

    random.seed()
    np = sys.modules.get("numpy")
    if np is not None:
        np.random.seed()
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            torch.seed()
        except Exception:  # noqa: BLE001
            pass


def zygote_main() -> None:
    preload = [m for m in sys.argv[1:] if m]
    # What ipykernel sets before user code runs: matplotlib must pick the inline backend.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import ipykernel.kernelapp  # noqa: F401 - the expensive part of a kernel's start
    import IPython  # noqa: F401

    for mod in preload:
        try:
            __import__(mod)
        except Exception:  # noqa: BLE001 - a missing optional module: the kernel imports it
            pass
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    out = sys.stdout
    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        try:
            req = json.loads(line)
        except ValueError:
            continue
        pid = os.fork()
        if pid == 0:
            _child(req)
        out.write(json.dumps({"pid": pid}) + "\n")
        out.flush()


# ----------------------------------------------------------------------------- worker side
class Zygote:
    """One template process (per worker); `spawn` forks a kernel from it."""

    def __init__(self, preload: tuple[str, ...] = ()):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.grading.zygote", *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        first = self.proc.stdout.readline()
        if not first:
            raise RuntimeError("kernel template process failed to start")

    def spawn(self, argv: list[str], cwd: str, env: dict, log: str | None) -> int:
        req = {"argv": argv, "cwd": cwd, "env": env, "log": log}
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError("kernel template process died")
        return int(json.loads(reply)["pid"])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.terminate()
            self.proc.wait(timeout=5)
        except Exception:  # noqa: BLE001
            self.proc.kill()


class PidProcess:
    """The Popen-like handle jupyter_client's LocalProvisioner needs, for a forked kernel.

    The zygote ignores SIGCHLD, so an exited kernel disappears at once: poll() = "pid gone".
    """

    stdin = stdout = stderr = None  # the kernel's stdio went to a log file in the child

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            self.returncode = 0
            return 0
        except PermissionError:
            return None
        return None

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("kernel", timeout)
            time.sleep(0.02)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        try:
            os.killpg(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkKernelManager(AsyncKernelManager):
    """AsyncKernelManager whose kernel process is forked from a Zygote."""

    zygote: Zygote | None = None
    log_path: str | None = None

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        if self.zygote is None or not self.zygote.alive():
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        env = dict(kw.get("env") or os.environ)
        cwd = str(kw.get("cwd") or os.getcwd())
        pid = self.zygote.spawn(kernel_cmd, cwd, env, self.log_path)
        prov = self.provisioner
        prov.process = PidProcess(pid)
        prov.pid = pid
        prov.pgid = pid  # the child called setsid()
        prov.cwd = cwd
        self._reconcile_connection_info(prov.connection_info)


if __name__ == "__main__":
    zygote_main()
