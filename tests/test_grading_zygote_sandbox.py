"""Sandboxed fork-server kernels (zygote.SandboxZygote): isolation of each forked child, and the
same grades through the pool as through SandboxedExecute.

Each probe is run inside a forked child; every assertion would fail if the corresponding defence
(private 0700 dir per uid, bwrap binds, per-child network namespace, privilege drop, rlimits)
were removed."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from autograder.grading.execution import sandbox
from autograder.tolerance import assert_data_close
from tests.ci_guard import require

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _root_and_bwrap():
    """A skip with a message on a developer's machine; under CI=true a failure."""
    require(os.geteuid() == 0, "the sandboxed zygote needs a root grader")
    require(shutil.which("bwrap") is not None, "the sandboxed zygote needs bubblewrap")


REPO = Path(__file__).resolve().parents[1]
LIMITS = sandbox.Limits(
    cpu_seconds=77, address_space=3 * sandbox.GiB, tasks=40, file_size=3 * sandbox.MiB,
    open_files=123,
)  # fmt: skip


def _run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


async def _start(zygote):
    from autograder.grading.execution.zygote import SandboxForkKernelManager

    km = SandboxForkKernelManager(kernel_name="python3", zygote=zygote, limits=LIMITS)
    await km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    return km, kc


async def _exec(kc, code: str, timeout: float = 60) -> str:
    """Run code in the kernel; return its stdout (errors included as text)."""
    out: list[str] = []

    def hook(msg):
        c = msg["content"]
        if msg["msg_type"] == "stream":
            out.append(c["text"])
        elif msg["msg_type"] == "error":
            out.append(f"ERROR {c['ename']}: {c['evalue']}")

    await kc.execute_interactive(code, timeout=timeout, output_hook=hook)
    return "".join(out)


@pytest.fixture(scope="module")
def kernels():
    require(os.geteuid() == 0 and shutil.which("bwrap") is not None, "root + bubblewrap")
    from autograder.grading.execution.zygote import SandboxZygote

    z = SandboxZygote(("numpy",))
    a = _run(_start(z))
    b = _run(_start(z))
    yield z, a, b
    for km, kc in (a, b):
        kc.stop_channels()
        _run(km.shutdown_kernel(now=True))
    z.close()


def probe(kc, code: str, timeout: float = 60) -> str:
    return _run(_exec(kc, code, timeout))


OPEN = """
def try_open(p):
    import os
    try:
        if os.path.isdir(p):
            os.listdir(p)
        else:
            open(p, 'rb').read(1)
        return 'OPENED'
    except OSError as e:
        return type(e).__name__
"""


def test_child_runs_as_its_own_uid_without_capabilities(kernels):
    _, (km_a, kc_a), (km_b, _) = kernels
    assert km_a.scratch.uid != km_b.scratch.uid
    out = probe(kc_a, "import os\nprint(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())")
    uid = km_a.scratch.uid
    assert out.split()[:3] == [str(uid)] * 3 and uid != 0
    assert "[]" in out
    status = probe(kc_a, "print(open('/proc/self/status').read())")
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(fields[cap].strip(), 16) == 0, (cap, fields[cap])
    assert fields["NoNewPrivs"].strip() == "1"


def test_child_has_the_rlimits(kernels):
    _, (_, kc), _ = kernels
    out = probe(
        kc,
        "import resource as r\n"
        "print([r.getrlimit(x) for x in (r.RLIMIT_CPU, r.RLIMIT_AS, r.RLIMIT_NPROC,"
        " r.RLIMIT_FSIZE, r.RLIMIT_NOFILE, r.RLIMIT_CORE)])",
    )
    want = [
        (LIMITS.cpu_seconds,) * 2,
        (LIMITS.address_space,) * 2,
        (LIMITS.tasks,) * 2,
        (LIMITS.file_size,) * 2,
        (LIMITS.open_files,) * 2,
        (0, 0),
    ]
    assert out.strip() == str(want)
    big = probe(kc, "open('big', 'wb').write(b'x' * (4 * 1024 * 1024))")
    assert "ERROR" in big, big  # Python ignores SIGXFSZ: the write fails with EFBIG


def test_child_cannot_read_the_other_child_or_the_course(kernels, tmp_path):
    _, (km_a, kc_a), (km_b, _) = kernels
    gradebook = REPO / "gradebook.db"
    made = not gradebook.exists()
    if made:
        gradebook.write_text("secret")
    try:
        targets = [
            str(km_b.scratch.root),
            str(km_b.scratch.work),
            str(km_b.connection_file),
            str(REPO / "course"),
            str(REPO / "course" / "layers.py"),
            str(REPO / "source"),
            str(REPO / "autograder" / "grading"),
            str(gradebook),
            str(km_a.zygote.pool_dir / "zygote.py") + ".nothere",
        ]
        out = probe(kc_a, OPEN + f"for p in {targets!r}:\n    print(p, try_open(p))")
    finally:
        if made:
            gradebook.unlink()
    lines = dict(line.rsplit(" ", 1) for line in out.strip().splitlines())
    assert set(lines) == set(targets), out
    assert "OPENED" not in lines.values(), out
    # its own dir and the student package are there (the probe itself is not broken)
    own = probe(kc_a, OPEN + f"print(try_open({str(km_a.scratch.work)!r}))")
    assert own.strip() == "OPENED"
    pkg = probe(kc_a, "import autograder.student, os; print(os.getcwd())")
    assert pkg.strip() == str(km_a.scratch.work)


def test_child_has_no_network(kernels):
    _, (_, kc), _ = kernels
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = []
    t = threading.Thread(target=lambda: got.append(srv.accept()), daemon=True)
    t.start()
    try:
        out = probe(
            kc,
            "import socket\ns = socket.socket(); s.settimeout(3)\n"
            f"try:\n    s.connect(('127.0.0.1', {port})); print('CONNECTED')\n"
            "except OSError as e:\n    print('BLOCKED', type(e).__name__)",
        )
    finally:
        srv.close()
    assert out.startswith("BLOCKED"), out
    assert not got


def test_fork_bomb_is_stopped_by_nproc_and_cleaned_up(kernels):
    from autograder.grading.execution.zygote import pids_of_uid

    z, _, _ = kernels
    km, kc = _run(_start(z))
    uid = km.scratch.uid
    try:
        out = probe(
            kc,
            "import os, time\nn = 0\n"
            "try:\n"
            "    for _ in range(400):\n"
            "        pid = os.fork()\n"
            "        if pid == 0:\n"
            "            time.sleep(120); os._exit(0)\n"
            "        n += 1\n"
            "    print('UNBOUNDED', n)\n"
            "except OSError as e:\n"
            "    print('STOPPED', n, type(e).__name__)",
        )
        assert out.startswith("STOPPED"), out
        assert int(out.split()[1]) < LIMITS.tasks
        assert len(pids_of_uid(uid)) > 1  # the forked sleepers exist until the job ends
    finally:
        kc.stop_channels()
        _run(km.shutdown_kernel(now=True))
    km.cleanup_scratch()
    assert pids_of_uid(uid) == []
    assert not any(p.name.startswith(f"c{uid}-") for p in z.pool_dir.iterdir())


def _bench():
    spec = importlib.util.spec_from_file_location("bench", REPO / "scripts" / "bench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pool_grades_like_sandboxed_execute(tmp_path, monkeypatch):
    """Same lesson, same students: SandboxedExecute (one bwrap per kernel, in process: the
    course's own pipeline, not stock nbgrader, since stock nbgrader cannot score record()
    cells) and the pool's forked sandboxed kernels give identical cell scores and totals."""
    from autograder.grading.config import default_db_url
    from autograder.grading.execution import pool as kpool
    from autograder.grading.execution import workers as parallel

    monkeypatch.setenv("BACKPROP_SANDBOX_FORK", "1")
    bench = _bench()
    lesson = "03_sigmoid_net"
    ref, ours = tmp_path / "ref", tmp_path / "ours"
    students = bench.build_class(ref, [lesson], 2, bench.EXAMPLES)
    bench.build_class(ours, [lesson], 2, bench.EXAMPLES)
    bench.release(ref, [lesson])
    bench.release(ours, [lesson])
    jobs = [parallel.Job(lesson, s) for s in students]

    res_ref = parallel.run_serial_inprocess(ref, default_db_url(ref), jobs)
    parallel._worker_init(
        str(ours), default_db_url(ours), True, True, {lesson: ("numpy",)}, lesson, True
    )
    try:
        assert "init_error" not in parallel._STATE, parallel._STATE.get("init_error")
        pool = kpool.get_pool()
        assert pool is not None and pool.sandbox_zygote is not None  # the forked path is used
        res_ours = [parallel._worker_run(j) for j in jobs]
        assert pool.stats["from_pool"] == len(jobs)
    finally:
        pool = kpool.get_pool()
        if pool is not None:
            pool.close()
        kpool.set_pool(None)
        parallel._STATE.clear()
    assert [r.ok for r in res_ours] == [r.ok for r in res_ref]
    a, b = bench.scores(ref), bench.scores(ours)
    assert a
    assert_data_close(a, b)  # two runs: a documented tolerance, not ==
    assert any(v for k, v in a.items() if k[2] == "_total")  # real scores, not all zeros
