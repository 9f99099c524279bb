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

Sandboxed (``SandboxZygote``, used by the pool for SandboxedExecute when bwrap works): the
zygote itself is started ONCE per worker through bwrap with sandbox_argv's binds and namespaces
(no network, venv + Python + autograder/student read-only, root-owned read-only /tmp and
/dev/shm), plus a pool dir bound at the same path inside and out. It runs as root inside with
only CAP_SETUID/SETGID (drop to the child's uid), CAP_SYS_ADMIN (a new IPC + network namespace
per child: no SysV IPC or loopback shared between students) and CAP_SETPCAP (empty the child's
bounding set). bwrap as real root keeps every capability unless told ``--cap-drop ALL``.
Each child, before any student code: unshare(IPC|NET), rlimits from ``Limits``, empty
bounding/ambient sets, setgroups([]), setresgid/setresuid to its own uid (allocate_uid), so no
capability is left, PR_SET_NO_NEW_PRIVS; cwd/HOME/TMPDIR = its own dir (mode 0700, its uid),
made outside by the worker. After the job the worker SIGKILLs every process of that uid and
removes the dir.

Protocol (worker <-> zygote, JSON lines on the zygote's stdin/stdout):
  -> {"argv": [...kernel argv...], "cwd": "...", "env": {...}, "log": "/path/kernel.log"}
  <- {"pid": 1234}
Sandboxed requests add {"uid": n, "limits": {...}}; the reply comes once the child has dropped
its privileges (or {"error": ...}).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager

PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWIPC = 0x08000000
CLONE_NEWNET = 0x40000000
ZYGOTE_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SYS_ADMIN", "CAP_SETPCAP")


# ----------------------------------------------------------------------------- zygote side
def _drop_privileges(uid: int, limits: dict) -> None:
    """In a sandboxed child, as root inside the zygote's sandbox: confine, then become ``uid``.

    Order matters: namespaces and the bounding set need the capabilities we are about to lose;
    rlimits are set while still root so that the hard limits cannot be raised again."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWIPC | CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "unshare(IPC|NET) failed")
    for res, key in (
        (resource.RLIMIT_CPU, "cpu_seconds"),
        (resource.RLIMIT_AS, "address_space"),
        (resource.RLIMIT_NPROC, "tasks"),
        (resource.RLIMIT_FSIZE, "file_size"),
        (resource.RLIMIT_NOFILE, "open_files"),
    ):
        n = int(limits[key])
        resource.setrlimit(res, (n, n))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:
            raise OSError(ctypes.get_errno(), f"cannot drop capability {cap} from bounding set")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # all uids non-zero: permitted/effective caps are cleared
    # ...but not the inheritable set (bwrap --cap-add fills it): clear it too (capset v3).
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if os.getuid() != uid or os.geteuid() != uid or os.getgroups():
        raise PermissionError("privileges were not dropped")


def _child(req: dict, ready_w: int | None = None) -> None:
    """In the forked child: become an ipykernel for req["argv"]."""
    try:
        os.setsid()
        if "uid" in req:
            _drop_privileges(int(req["uid"]), req["limits"])
        if ready_w is not None:
            os.write(ready_w, b"1")
            os.close(ready_w)
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
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            _child(req, ready_w)
        os.close(ready_w)
        # Reply once the child is confined (sandboxed) / started: the worker then finds it by uid
        ok = os.read(ready_r, 1)
        os.close(ready_r)
        reply = {"pid": pid} if ok else {"pid": pid, "error": "child failed to start"}
        out.write(json.dumps(reply) + "\n")
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


# ----------------------------------------------------------------------------- sandboxed zygote
def pids_of_uid(uid: int) -> list[int]:
    """Outer pids of every process whose real uid is ``uid`` (the worker runs as root)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            st = os.stat(f"/proc/{name}")
        except OSError:
            continue
        if st.st_uid == uid:
            pids.append(int(name))
    return pids


def kill_uid(uid: int, timeout: float = 5.0) -> None:
    """SIGKILL every process of ``uid`` until none is left (forks racing the kill included)."""
    if uid == 0:
        raise ValueError("refusing to kill uid 0")
    end = time.monotonic() + timeout
    while True:
        pids = pids_of_uid(uid)
        if not pids or time.monotonic() > end:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


class SandboxZygote(Zygote):
    """The template process started once per worker inside bwrap (see the module docstring).

    ``pool_dir`` (root, 0711) is bound read-write at the same path; ``new_child_dir(uid)`` makes a
    child's private dir there."""

    def __init__(self, preload: tuple[str, ...] = (), seed: str | None = None):
        from autograder.grading.execution import sandbox

        if os.geteuid() != 0:
            raise RuntimeError("the sandboxed zygote needs a root grader (it drops to a uid)")
        sandbox.check_host()
        self.pool_dir = Path(tempfile.mkdtemp(prefix="bpzyg-"))
        os.chmod(self.pool_dir, 0o711)  # children reach only their own 0700 subdir
        home = self.pool_dir / "home"
        home.mkdir(mode=0o755)
        script = self.pool_dir / "zygote.py"  # autograder/grading is not visible inside
        shutil.copyfile(__file__, script)
        os.chmod(script, 0o444)
        env = sandbox.sandbox_env(seed)
        # The template stays root inside (children drop to their uid), keeps only ZYGOTE_CAPS,
        # sees a root-owned read-only /tmp (children use their own dir) and has no rlimits
        # (each child sets its own).
        cmd = sandbox.sandbox_command(
            [sys.executable, str(script), *preload],
            home,
            ipc_dir=self.pool_dir,
            uid=0,
            env=env,
            tmp_mode="0755",
        )
        cmd.caps = ["--cap-drop", "ALL"] + [a for cap in ZYGOTE_CAPS for a in ("--cap-add", cap)]
        cmd.drop, cmd.rlimits = [], []
        argv = cmd.argv()
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
                cwd=str(self.pool_dir),
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            )
            first = self.proc.stdout.readline()
            if not first:
                raise RuntimeError("sandboxed kernel template failed to start")
        except BaseException:
            self.close()
            raise

    def new_child_dir(self, uid: int) -> Path:
        d = Path(tempfile.mkdtemp(prefix=f"c{uid}-", dir=self.pool_dir))
        os.chmod(d, 0o700)
        os.chown(d, uid, uid)
        for sub in ("work", "ipc"):
            (d / sub).mkdir(mode=0o700)
            os.chown(d / sub, uid, uid)
        return d

    def spawn_sandboxed(self, argv: list[str], child_dir: Path, uid: int, limits, env) -> int:
        """Fork a confined kernel; returns its outer pid (found by its unique uid)."""
        from dataclasses import asdict

        req = {
            "argv": argv,
            "cwd": str(child_dir / "work"),
            "env": env,
            "log": None,
            "uid": uid,
            "limits": asdict(limits),
        }
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError("sandboxed kernel template died")
        rep = json.loads(reply)
        if rep.get("error"):
            raise RuntimeError(f"sandboxed kernel: {rep['error']}")
        pids = pids_of_uid(uid)
        if len(pids) != 1:
            kill_uid(uid)
            raise RuntimeError(f"sandboxed kernel: expected one process of uid {uid}, got {pids}")
        return pids[0]

    def close(self) -> None:
        if getattr(self, "proc", None) is not None:
            super().close()
        shutil.rmtree(self.pool_dir, ignore_errors=True)


class UidProcess(PidProcess):
    """Popen-like handle of a sandboxed forked kernel: signals go to every process of its uid."""

    def __init__(self, pid: int, uid: int):
        super().__init__(pid)
        self.uid = uid

    def poll(self) -> int | None:
        if self.returncode is None and not pids_of_uid(self.uid):
            self.returncode = 0
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if signum == signal.SIGKILL:
            kill_uid(self.uid)
            return
        for pid in pids_of_uid(self.uid):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass


class SandboxForkKernelManager(AsyncKernelManager):
    """A sandboxed kernel forked from a SandboxZygote (ipc transport, files in its own dir).

    ``scratch`` mimics sandbox.Scratch so the pool copies the submission into ``scratch.work``."""

    def __init__(self, *args: Any, zygote: SandboxZygote, limits, seed=None, **kw: Any):
        import zmq

        from autograder.grading.execution import sandbox

        super().__init__(*args, **kw)
        self.zygote = zygote
        self.limits = limits
        self.grading_seed = seed
        uid = sandbox.allocate_uid()
        d = zygote.new_child_dir(uid)
        self.scratch = sandbox.Scratch(root=d, work=d / "work", ipc=d / "ipc", uid=uid)
        self.transport = "ipc"
        self.ip = str(d / "ipc" / "k")
        self.connection_file = str(d / "ipc" / "kernel.json")
        self.context.setsockopt(zmq.MAXMSGSIZE, 16 * sandbox.MiB)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        os.chown(self.connection_file, self.scratch.uid, self.scratch.uid)
        os.chmod(self.connection_file, 0o400)

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        from autograder.grading.execution import sandbox

        env = sandbox.sandbox_env(self.grading_seed)
        env["HOME"] = env["TMPDIR"] = str(self.scratch.work)
        pid = self.zygote.spawn_sandboxed(
            kernel_cmd, self.scratch.root, self.scratch.uid, self.limits, env
        )
        prov = self.provisioner
        prov.process = UidProcess(pid, self.scratch.uid)
        prov.pid = pid
        prov.pgid = pid
        prov.cwd = str(self.scratch.work)
        self._reconcile_connection_info(prov.connection_info)

    async def _async_interrupt_kernel(self) -> None:
        if not self.has_kernel:
            return
        msg = self.session.msg("interrupt_request", content={})
        self._connect_control_socket()
        self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.cleanup_scratch()

    cleanup_resources = _async_cleanup_resources

    def cleanup_scratch(self) -> None:
        if self.scratch is not None:
            kill_uid(self.scratch.uid)
            self.scratch.cleanup()
            self.scratch = None


if __name__ == "__main__":
    zygote_main()
