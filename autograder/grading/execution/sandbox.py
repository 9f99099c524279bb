"""Run student kernels under bubblewrap: the grading sandbox.

A point is earned only from numbers the grader process checks (``TrustedScores``); the sandbox
makes sure the student's code cannot reach anything that would let it cheat or harm the class:
the reference package, the hidden tests, the gradebook, other students, the network, or the
machine's resources.

Interface (for the grading tool, parallel autograding and kernel pools)
-----------------------------------------------------------------------
``sandbox_argv(kernel_argv, scratch_dir, *, ipc_dir, uid, limits, env) -> list[str]``
    The full launch command: ``bwrap ... -- setpriv ... -- prlimit ... -- <kernel_argv>``.
    ``kernel_argv`` is the formatted kernel command (``{connection_file}`` already substituted);
    the connection file and the ZMQ sockets must live in ``ipc_dir``, which is bound read-write
    at the *same path* inside (the kernel's network namespace is empty, so the kernel talks to
    the grader over ZMQ ``ipc://`` sockets: start the kernel manager with ``transport="ipc"`` and
    ``ip=f"{ipc_dir}/k"``). ``scratch_dir`` becomes ``/home/student`` inside (cwd and HOME) and
    must be writable by ``uid``: use ``make_scratch``.
``make_scratch(submission_dir=None, uid=...) -> Scratch``
    A private temp dir (root-only) with ``work/`` (a copy of the submission's files, owned by
    ``uid``) and ``ipc/``. ``Scratch.cleanup()`` removes it. Nothing is copied back: files the
    kernel writes are discarded, so a symlink or a huge file made by student code never reaches
    the course directory or the feedback.
``copy_submission(src, scratch.work, scratch.uid) -> skipped``  copy a submission into a
    scratch dir started empty (kernel pools): regular files and dirs only, never symlinks or
    names that would shadow a module the grading imports (``autograder/``, ``numpy.py``...).
``sandbox_env(seed=None) -> dict``   the minimal environment the kernel sees.
``SandboxedKernelManager``           an ``AsyncKernelManager`` that does all of the above.
``SandboxedExecute``                 nbgrader's ``Execute`` with that manager, a whole-notebook
                                     wall-time limit, output caps and survival of dead kernels.
``Limits``                           the resource limits (CPU s, address space, tasks, file size,
                                     open files, /tmp size).

Inside the sandbox: ``/usr`` (+ ``/lib``, ``/bin`` symlinks), the Python install and the venv
read-only; from the repository only ``autograder/__init__.py`` and ``autograder/student`` (so
``import autograder.student`` works while ``import course`` and ``import autograder.grading``
fail); a private ``/tmp`` (tmpfs, size-capped); new pid/net/ipc/uts namespaces; the kernel runs
as an unprivileged uid (``setpriv``, no capabilities, no_new_privs) so that ``RLIMIT_NPROC``
applies (it never applies to root) and stops fork bombs.

Kernel environment: only ``sandbox_env()`` (PATH, HOME, NBGRADER_EXECUTION=autograde,
BACKPROP_GRADING_SEED, MPLBACKEND=Agg, OMP_NUM_THREADS=1, ...). The seed is
``TrustedScores.grading_seed``, else ``SandboxedExecute.grading_seed`` (one setting for both:
``config.grading_seed_from``), else the grader's env ``BACKPROP_GRADING_SEED``, else 0.
Default limits (``Limits``): 300 s CPU,
4 GiB address space per process, 128 tasks, 64 MiB per file, 256 open files, 256 MiB /tmp;
``SandboxedExecute``: ``timeout`` per cell (nbgrader's trait), ``notebook_timeout`` 600 s, output
capped at 1 MiB per cell and 8 MiB per notebook (record bundles: 8 MiB each, 16 per cell), ZMQ
messages over 16 MiB are refused by the client socket.

Integrity events (kernel died, timeouts, truncated output, wall limit) are appended to
``resources["integrity"]["flags"]`` as ``{"code", "notebook", "cell", "reason"}`` dicts, which
``integrity.py`` collects into the report.
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, Unicode

from autograder.student.contract import PROTECTED_MODULES, SEED_ENV, seed_from_env

REPO_ROOT = Path(__file__).resolve().parents[3]  # autograder/grading/execution/ -> repo
SANDBOX_HOME = "/home/student"
BWRAP = shutil.which("bwrap") or "/usr/bin/bwrap"
SETPRIV = "/usr/bin/setpriv"
PRLIMIT = "/usr/bin/prlimit"
GiB = 1024**3
MiB = 1024**2


@dataclass(frozen=True)
class Limits:
    """Per-kernel resource limits (rlimits apply to each process; tasks counts threads too)."""

    cpu_seconds: int = 300  # RLIMIT_CPU: SIGKILL once the kernel has used this much CPU
    address_space: int = 4 * GiB  # RLIMIT_AS per process (torch needs ~1.5 GiB of mappings)
    tasks: int = 128  # RLIMIT_NPROC for the sandbox uid: processes + threads
    file_size: int = 64 * MiB  # RLIMIT_FSIZE: largest file the kernel may write
    open_files: int = 256  # RLIMIT_NOFILE
    tmp_size: int = 256 * MiB  # size of the private /tmp tmpfs


DEFAULT_LIMITS = Limits()
_uid_counter = itertools.count()


def allocate_uid() -> int:
    """An unprivileged uid for one sandbox (RLIMIT_NPROC is counted per uid, so kernels that run
    in parallel get different uids and one student's fork bomb cannot starve another).
    Without root the kernel keeps the grader's own uid."""
    if os.geteuid() != 0:
        return os.getuid()
    return 200_000 + (os.getpid() % 10_000) * 64 + next(_uid_counter) % 64


def _tasks_of(uid: int) -> int:
    """Number of tasks (threads) the uid runs now (what RLIMIT_NPROC counts)."""
    n = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            n += int(fields.get("Threads", "1").strip())
    return n


def _python_roots() -> list[str]:
    """The venv and the Python install it was made from (both bound read-only)."""
    roots = {
        os.path.realpath(sys.prefix),
        os.path.realpath(sys.base_prefix),
        os.path.realpath(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))),
    }
    # the venv itself by its unresolved path too (kernel argv[0] is .venv/bin/python)
    roots.add(os.path.abspath(sys.prefix))
    return sorted(r for r in roots if r not in ("/", "/usr"))


def sandbox_env(seed: str | int | None = None) -> dict[str, str]:
    """The whole environment of the sandboxed kernel (nothing is inherited)."""
    if seed is None:
        seed = seed_from_env()
    return {
        "PATH": f"{os.path.abspath(sys.prefix)}/bin:/usr/bin:/bin",
        "HOME": SANDBOX_HOME,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "TMPDIR": "/tmp",
        "NBGRADER_EXECUTION": "autograde",
        SEED_ENV: str(seed),
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def _mkdirs(dest: str, made: set[str]) -> list[str]:
    """bwrap creates missing parents of a mount point mode 0700 (root): make them 0755 first."""
    args: list[str] = []
    parents = list(PurePosixPath(dest).parents)[::-1][1:]  # skip "/"
    for p in parents:
        s = str(p)
        if s not in made and s not in ("/tmp", "/usr", "/proc", "/dev"):
            made.add(s)
            args += ["--perms", "0755", "--dir", s]
    return args


@dataclass
class SandboxCommand:
    """The launch command in named parts, so a variant (the zygote) changes a part, never slices:

    ``bwrap <namespaces> <mounts> <session> <caps> -- [<drop> --] [<rlimits> --] <kernel>``.
    """

    namespaces: list[str]
    mounts: list[str]
    session: list[str]  # --chdir, --clearenv, --setenv ...
    caps: list[str]  # bwrap's capability options
    drop: list[str]  # setpriv to the sandbox uid (empty: stay root inside)
    rlimits: list[str]  # prlimit (empty: none)
    kernel: list[str]

    def argv(self) -> list[str]:
        out = [BWRAP, *self.namespaces, *self.mounts, *self.session, *self.caps, "--"]
        for wrapper in (self.drop, self.rlimits):
            if wrapper:
                out += [*wrapper, "--"]
        return out + list(self.kernel)


def sandbox_command(
    kernel_argv: list[str],
    scratch_dir: str | os.PathLike,
    *,
    ipc_dir: str | os.PathLike,
    uid: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    env: dict[str, str] | None = None,
    repo_root: str | os.PathLike = REPO_ROOT,
    tmp_mode: str = "1777",
) -> SandboxCommand:
    """The command that runs ``kernel_argv`` inside the sandbox (see the module docstring).

    ``scratch_dir`` (read-write, owned by ``uid``) becomes ``/home/student``; ``ipc_dir``
    (read-write, owned by ``uid``) is bound at its own path for the connection file + sockets.
    """
    uid = allocate_uid() if uid is None else int(uid)
    env = sandbox_env() if env is None else env
    repo = Path(repo_root).resolve()
    made: set[str] = set()
    namespaces = [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
    ]
    mounts = [
        *("--ro-bind", "/usr", "/usr"),
        *("--symlink", "usr/lib", "/lib"),
        *("--symlink", "usr/lib64", "/lib64"),
        *("--symlink", "usr/bin", "/bin"),
        *("--symlink", "usr/sbin", "/sbin"),
        *("--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"),
        *("--ro-bind-try", "/etc/localtime", "/etc/localtime"),
        *("--proc", "/proc"),
        *("--dev", "/dev"),
        *("--perms", tmp_mode, "--size", str(limits.tmp_size), "--tmpfs", "/tmp"),
    ]
    for root in _python_roots():
        mounts += _mkdirs(root, made) + ["--ro-bind", root, root]
    # Only the student half of the grading package is visible.
    pkg = repo / "autograder"
    mounts += _mkdirs(str(pkg / "student"), made)
    mounts += ["--ro-bind", str(pkg / "__init__.py"), str(pkg / "__init__.py")]
    mounts += ["--ro-bind", str(pkg / "student"), str(pkg / "student")]
    ipc = os.path.abspath(ipc_dir)
    mounts += _mkdirs(ipc, made) + ["--bind", ipc, ipc]
    mounts += _mkdirs(SANDBOX_HOME, made) + ["--bind", os.path.abspath(scratch_dir), SANDBOX_HOME]
    session = ["--chdir", SANDBOX_HOME, "--clearenv"]
    for k, v in env.items():
        session += ["--setenv", k, v]
    if os.geteuid() == 0:
        # Root inside keeps only what setpriv needs to drop to the sandbox uid; RLIMIT_NPROC
        # never applies to root, so dropping to an unused uid is what stops fork bombs.
        caps = ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        drop = [
            SETPRIV,
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--no-new-privs",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ]
        tasks = limits.tasks
    else:
        # Unprivileged grader: a user namespace; the kernel keeps the grader's uid, whose tasks
        # all count towards RLIMIT_NPROC.
        namespaces.insert(0, "--unshare-user")
        caps, drop = [], []
        tasks = _tasks_of(os.getuid()) + limits.tasks
    rlimits = [
        PRLIMIT,
        f"--cpu={limits.cpu_seconds}",
        f"--as={limits.address_space}",
        f"--nproc={tasks}",
        f"--fsize={limits.file_size}",
        f"--nofile={limits.open_files}",
        "--core=0",
    ]
    return SandboxCommand(namespaces, mounts, session, caps, drop, rlimits, list(kernel_argv))


def sandbox_argv(kernel_argv: list[str], scratch_dir: str | os.PathLike, **kw) -> list[str]:
    """``sandbox_command(...).argv()``: the full launch command as a list."""
    return sandbox_command(kernel_argv, scratch_dir, **kw).argv()


@dataclass
class Scratch:
    """A private temp dir for one kernel: ``work`` (-> /home/student) and ``ipc`` (sockets)."""

    root: Path
    work: Path
    ipc: Path
    uid: int
    skipped: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def copy_submission(src: Path, dst: Path, uid: int, top: bool = True) -> list[str]:
    """Copy regular files and directories (never symlinks, devices, fifos) owned by ``uid``.

    Returns the names of what was skipped (reported as ignored stray entries)."""
    skipped: list[str] = []
    for entry in sorted(src.iterdir()):
        st = entry.lstat()
        target = dst / entry.name
        if not stat.S_ISLNK(st.st_mode) and dst.resolve().is_relative_to(entry.resolve()):
            continue  # the scratch dir itself lives inside the submission: never recurse
        if (
            top
            and entry.name.split(".")[0] in PROTECTED_MODULES
            and (stat.S_ISDIR(st.st_mode) or entry.suffix in (".py", ".so", ".pth"))
        ):
            skipped.append(entry.name)  # would shadow a module the grading imports (cwd first)
        elif stat.S_ISLNK(st.st_mode):
            skipped.append(entry.name)
        elif stat.S_ISDIR(st.st_mode):
            target.mkdir(mode=0o755)
            os.chown(target, uid, uid)
            skipped += [f"{entry.name}/{s}" for s in copy_submission(entry, target, uid, False)]
        elif stat.S_ISREG(st.st_mode):
            shutil.copyfile(entry, target, follow_symlinks=False)
            os.chown(target, uid, uid)
            os.chmod(target, 0o644)
        else:
            skipped.append(entry.name)
    return skipped


def make_scratch(
    submission_dir: str | os.PathLike | None = None,
    *,
    uid: int | None = None,
    parent: str | os.PathLike | None = None,
) -> Scratch:
    """Create a scratch dir (mode 0700, root) with a copy of ``submission_dir`` for ``uid``."""
    uid = allocate_uid() if uid is None else uid
    root = Path(tempfile.mkdtemp(prefix="bpsbx-", dir=parent))
    os.chmod(root, 0o700)
    work, ipc = root / "work", root / "ipc"
    for d in (work, ipc):
        d.mkdir(mode=0o700)
        os.chown(d, uid, uid)
    scratch = Scratch(root=root, work=work, ipc=ipc, uid=uid)
    if submission_dir is not None and Path(submission_dir).is_dir():
        scratch.skipped = copy_submission(Path(submission_dir), work, uid)
    return scratch


class SandboxUnavailable(RuntimeError):
    """The host cannot run the sandbox: grading must stop, not give everybody 0."""


USERNS_HINT = (
    "grading sandbox: user namespaces are disabled on this machine; enable them "
    "(sysctl user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1, on Ubuntu "
    "also kernel.apparmor_restrict_unprivileged_userns=0) or run the worker as root; "
    "refusing to grade unsandboxed"
)


def userns_problem(proc: Path = Path("/proc/sys"), euid: int | None = None) -> str:
    """Why bubblewrap cannot make a user namespace here ("" when it can, or is not needed).

    Only an unprivileged grader needs one (`--unshare-user`, see sandbox_command); the kernel
    switches read here are the ones distributions and cluster images turn off."""
    if (os.geteuid() if euid is None else euid) == 0:
        return ""
    for name, off in (
        ("user/max_user_namespaces", "0"),
        ("kernel/unprivileged_userns_clone", "0"),
        ("kernel/apparmor_restrict_unprivileged_userns", "1"),
    ):
        try:
            if (proc / name).read_text().strip() == off:
                return f"{USERNS_HINT} ({name.replace('/', '.')} = {off})"
        except OSError:
            continue  # the switch does not exist on this kernel
    return ""


def check_host() -> None:
    """Raise a clear error when the sandbox cannot work here (then nobody should be graded)."""
    problem = userns_problem()
    if problem:
        raise SandboxUnavailable(problem)
    missing = [
        p
        for p in (BWRAP, PRLIMIT) + ((SETPRIV,) if os.geteuid() == 0 else ())
        if not Path(p).exists()
    ]
    if missing:
        raise SandboxUnavailable(
            f"grading sandbox: {', '.join(missing)} not found; install bubblewrap and util-linux "
            "(scripts/system-deps.sh)"
        )


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel through ``sandbox_argv`` over ZMQ ipc sockets; interrupts by message.

    The ``cwd`` given to ``start_kernel`` is the submission directory: it is copied into a fresh
    scratch dir (never bound itself)."""

    grading_seed = Unicode(None, allow_none=True).tag(config=True)
    max_message_bytes = Integer(16 * MiB).tag(config=True)

    def __init__(self, *args: Any, limits: Limits = DEFAULT_LIMITS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.scratch: Scratch | None = None
        self.transport = "ipc"
        # A message bigger than this makes ZMQ drop the connection instead of filling our RAM.
        self.context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)

    async def _async_pre_start_kernel(self, **kw: Any) -> tuple[list[str], dict[str, Any]]:
        if self.scratch is None:
            self.scratch = make_scratch(kw.get("cwd"))
        self.ip = str(self.scratch.ipc / "k")
        self.connection_file = str(self.scratch.ipc / "kernel.json")
        kw["cwd"] = str(self.scratch.root)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        # Student code can write to fds 1/2 directly (os.write): never into the grader's log.
        kw["stdout"] = subprocess.DEVNULL
        kw["stderr"] = subprocess.DEVNULL
        kw["stdin"] = subprocess.DEVNULL
        return await super()._async_pre_start_kernel(**kw)

    def write_connection_file(self, **kwargs: Any) -> None:
        super().write_connection_file(**kwargs)
        # the kernel (sandbox uid) must read it; its dir is private to that uid already
        os.chown(self.connection_file, self.scratch.uid, self.scratch.uid)
        os.chmod(self.connection_file, 0o400)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        assert self.scratch is not None
        return sandbox_argv(
            cmd,
            self.scratch.work,
            ipc_dir=self.scratch.ipc,
            uid=self.scratch.uid,
            limits=self.limits,
            env=sandbox_env(self.grading_seed),
        )

    async def _async_interrupt_kernel(self) -> None:
        # SIGINT to bwrap would not reach the kernel (new session, pid namespace): ask the
        # kernel itself over the control channel.
        if not self.has_kernel:
            return
        msg = self.session.msg("interrupt_request", content={})
        self._connect_control_socket()
        self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel  # AsyncKernelManager binds the base method

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self.cleanup_scratch()

    cleanup_resources = _async_cleanup_resources  # AsyncKernelManager binds the base method

    def cleanup_scratch(self) -> None:
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None
