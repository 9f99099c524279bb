"""Categories 3 (reaching outside) and 4 (resources): the bwrap sandbox, end to end through
nbgrader (one class run each) and directly through SandboxedExecute."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402
import probes  # noqa: E402

from autograder.grading.execution.sandbox import (  # noqa: E402
    SETPRIV,
    _python_roots,
    make_scratch,
    sandbox_argv,
    sandbox_env,
)
from autograder.grading.execution.sandboxed_execute import SandboxedExecute  # noqa: E402
from tests.ci_guard import require  # noqa: E402

pytestmark = pytest.mark.slow
REPO = H.REPO


def _listen():
    """A TCP server on the grader's loopback (free port); counts the connections it accepts."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    hits = []
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                hits.append(1)
                conn.close()
            except OSError:
                continue

    t = threading.Thread(target=serve, daemon=True)
    t.start()

    def close():
        stop.set()
        t.join()
        srv.close()

    return srv.getsockname()[1], hits, close


@pytest.fixture(scope="module")
def listener():
    port, hits, close = _listen()
    yield port, hits
    close()


@pytest.fixture(scope="module", autouse=True)
def _repo_reachable_by_any_uid():
    """The control probes and the unprivileged grader run as another uid, which must reach the
    repository (as a real grader's own uid does). A clone under `mktemp -d` is a 0700 folder:
    for this module the repository gets o+rx (Python's importer lists it, as in a 0755 clone)
    and its ancestors o+x (traverse only, no listing); the modes are restored after."""
    changed = []
    for d in [REPO, *REPO.parents]:
        mode = d.stat().st_mode & 0o7777
        want = mode | (0o005 if d == REPO else 0o001)
        if want != mode and os.access(d, os.W_OK):
            os.chmod(d, want)
            changed.append((d, mode))
    yield
    for d, mode in changed:
        os.chmod(d, mode)


def _exposed_root() -> Path:
    """A fresh 0755 folder under /tmp: the course put where Unix permissions allow any uid to
    read it, so only the sandbox's mounts can stop a probe (the pytest tmp dir is 0700 root,
    which would stop every probe by itself)."""
    root = Path(tempfile.mkdtemp(prefix="bp-exposed-", dir="/tmp"))
    os.chmod(root, 0o755)
    return root


def _expose(course: Path) -> dict:
    """Open the course up to every uid (0755 dirs, 0644 files, a 0666 gradebook, a 0777 drop
    folder, a secret file to search for); the targets of the probe script."""
    secret = f"SECRET-{uuid.uuid4().hex}.txt"
    (course / secret).write_text("the course's secret")
    (course / "dropbox").mkdir(exist_ok=True)
    for dirpath, _dirs, filenames in os.walk(course):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(Path(dirpath) / n, 0o644)
    os.chmod(course / "gradebook.db", 0o666)
    os.chmod(course / "dropbox", 0o777)
    return {
        "course": str(course),
        "repo": str(REPO),
        "other_student": str(course / "submitted" / "honest" / H.ASSIGNMENT / "attack01.ipynb"),
        "secret_name": secret,
        "grader_pid": os.getpid(),
        "python_roots": _python_roots(),
    }


CONTROL_PYTHON = "/usr/bin/python3"


def _as_uid(uid: int) -> list[str]:
    """Run as the sandbox's uid, outside the sandbox (root grader: setpriv; else: ourselves)."""
    if os.geteuid() != 0:
        return []
    return [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def _run_probes(targets: dict, inside: bool) -> str:
    """The probe script inside the sandbox (as grading runs a kernel), or outside it as the
    same uid with the same minimal environment (the control)."""
    s = make_scratch()
    try:
        env = sandbox_env(0)
        if inside:
            code = ["python", "-c", probes.script(targets)]
            argv = sandbox_argv(code, s.work, ipc_dir=s.ipc, uid=s.uid, env=env)
            cwd = None
        else:
            # the system Python (stdlib only), where `import course` resolves like the
            # editable install does: from the repository
            argv = _as_uid(s.uid) + [CONTROL_PYTHON, "-c", probes.script(targets)]
            env = {**env, "PYTHONPATH": str(REPO)}
            cwd = s.work
        res = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env, cwd=cwd)
    finally:
        s.cleanup()
    assert "PROBES DONE" in res.stdout, res.stdout + res.stderr
    return res.stdout


@pytest.fixture(scope="module")
def exposed(tmp_path_factory, listener):
    """The attack course, graded once (honest + prober), then exposed: (course, targets)."""
    port, _ = listener
    root = _exposed_root()
    try:
        course, c = H.new_course(root)
        H.submit(course, "honest", H.honest(course))
        H.autograde(course, c)
        targets = {**_expose(course), "port": port}
        yield course, targets
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_probes_succeed_outside_the_sandbox(exposed, listener):
    """Control: the same script, the same uid, outside the sandbox, reads everything. Without
    this, a probe that is stopped by file permissions (or is broken) would look BLOCKED."""
    course, targets = exposed
    _, hits = listener
    before = len(hits)
    try:
        got = probes.outcomes(_run_probes(targets, inside=False))
    finally:
        (course / "dropbox" / "pwned.txt").unlink(missing_ok=True)
    assert got == dict.fromkeys(probes.PROBE_NAMES, "LEAK")
    deadline = time.monotonic() + 5
    while len(hits) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(hits) > before  # the listener saw the control's connection


def test_probes_blocked_inside_the_sandbox(exposed, listener):
    course, targets = exposed
    _, hits = listener
    before = len(hits)
    got = probes.outcomes(_run_probes(targets, inside=True))
    assert got == dict.fromkeys(probes.PROBE_NAMES, "BLOCKED")
    time.sleep(0.5)
    assert len(hits) == before
    assert not (course / "dropbox" / "pwned.txt").exists()


@pytest.fixture(scope="module")
def outside(listener):
    """The probes through nbgrader: a student's answer cell runs them during autograde."""
    port, hits = listener
    root = _exposed_root()
    try:
        course, c = H.new_course(root)
        H.submit(course, "honest", H.honest(course))
        H.autograde(course, c)  # the gradebook and the other student's files exist
        targets = {**_expose(course), "port": port}
        nb = H.honest(course)
        code = probes.script(targets) + (
            "\nimport importlib, os\nprint('ENV', sorted(os.environ))\n"
            "try:\n    importlib.import_module('course.activations')\n"  # for the shortcut scan
            "except ImportError:\n    pass\n"
        )
        H.answer(nb, "l01_relu_answer", H.RELU_OK + code)
        H.submit(course, "prober", nb)
        keep = ("autograded", "integrity", "feedback")
        before = H.tree_hash(course, exclude=keep)
        before.pop("gradebook.db")
        hits_before = len(hits)
        run = H.autograde(course, c)
        time.sleep(0.5)
        hits_during = len(hits) - hits_before
        after = H.tree_hash(course, exclude=keep)
        after.pop("gradebook.db")
        out = nbformat.read(course / "autograded" / "prober" / H.ASSIGNMENT / "attack01.ipynb", 4)
        text = "".join(
            o.get("text", "")
            for cell in out.cells
            if cell.cell_type == "code"
            for o in cell.get("outputs", [])
        )
        yield course, c, run, H.scores(course, c), before, after, text, hits_during
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_every_probe_ran_and_was_blocked(outside):
    *_, text, hits_during = outside
    assert "PROBES DONE" in text, text
    assert probes.outcomes(text) == dict.fromkeys(probes.PROBE_NAMES, "BLOCKED"), text
    assert hits_during == 0


def test_nothing_outside_scratch_changed(outside):
    course, c, run, scores, before, after, text, hits = outside
    assert before == after
    assert not (course / "dropbox" / "pwned.txt").exists()
    assert not (REPO / "pwned.txt").exists()


def test_prober_still_graded_on_its_numbers(outside):
    course, c, run, scores, *_ = outside
    assert run["error"] is None
    assert scores["prober"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
    assert scores["honest"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
    reasons = " ".join(f["reason"] for f in H.flags_of(course, "prober"))
    assert "course.activations" in reasons and "gradebook" in reasons


def test_kernel_sees_only_the_minimal_environment(outside):
    *_, text, hits = outside
    env_line = next(line for line in text.splitlines() if line.startswith("ENV "))
    names = set(eval(env_line[4:]))  # noqa: S307 - our own printed list
    # plus what ipykernel itself sets for its pager and colours
    ipykernel = {
        "PAGER",
        "GIT_PAGER",
        "TERM",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "FORCE_COLOR",
        "PYDEVD_USE_FRAME_EVAL",
        "JPY_PARENT_PID",
        "PWD",
        "SHLVL",
        "_",
    }
    assert names <= set(sandbox_env()) | ipykernel
    assert "BACKPROP_GRADING_SEED" in names and "NBGRADER_EXECUTION" in names


# --- category 4: resources -----------------------------------------------------------------
RESOURCE_ATTACKS = {
    "infinite_loop": H.RELU_OK + "\nwhile True:\n    pass\n",
    "sigint_ignored": H.RELU_OK
    + "\nimport signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
    # 20 GB at once: refused by RLIMIT_AS at once (without the limit the machine would swap/OOM)
    "memory_bomb": H.RELU_OK + "\nhuge = np.ones((50_000, 50_000))\n",
    "fork_bomb": H.RELU_OK
    + """
import os, time
n = 0
while True:
    try:
        if os.fork() == 0:
            time.sleep(300)
            os._exit(0)
        n += 1
    except OSError as e:
        print("fork refused after", n, type(e).__name__)
        break
""",
    "huge_output": H.RELU_OK
    + '\nprint("x" * 40_000_000)\nfor i in range(200_000):\n    print("y" * 200)\n',
    "huge_file": H.RELU_OK
    + """
try:
    with open("big.bin", "wb") as f:
        for _ in range(40):
            f.write(b"0" * 16 * 1024**2)
except OSError as e:
    print("file refused", e.errno)
""",
}


@pytest.fixture(scope="module")
def resources_run(tmp_path_factory):
    course, c = H.new_course(tmp_path_factory.mktemp("resources"), timeout=6, interrupt_grace=3.0)
    H.submit(course, "honest", H.honest(course))
    for student, src in RESOURCE_ATTACKS.items():
        nb = H.honest(course)
        H.answer(nb, "l01_relu_answer", src)
        H.submit(course, student, nb)
    t0 = time.monotonic()
    run = H.autograde(course, c)
    return course, c, run, H.scores(course, c), time.monotonic() - t0


def _outputs(course, student):
    p = course / "autograded" / student / H.ASSIGNMENT / "attack01.ipynb"
    nb = nbformat.read(p, 4)
    return "".join(
        o.get("text", "") + o.get("ename", "") + o.get("evalue", "")
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )


def test_resource_attacks_do_not_stop_the_class(resources_run):
    course, c, run, scores, took = resources_run
    assert run["error"] is None
    assert scores["honest"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
    assert took < 240


def test_infinite_loop_costs_only_its_cell(resources_run):
    course, c, run, scores, _ = resources_run
    assert scores["infinite_loop"]["l01_neuron_forward"] == 2.0
    assert "timeout" in H.codes_of(course, "infinite_loop")


def test_loop_that_ignores_interrupts_is_killed(resources_run):
    course, c, run, scores, _ = resources_run
    assert scores["sigint_ignored"] == {"l01_relu": 0.0, "l01_neuron_forward": 0.0}
    assert {"timeout", "kernel_killed"} <= H.codes_of(course, "sigint_ignored")


def test_memory_bomb_hits_the_address_space_limit(resources_run):
    course, c, run, scores, _ = resources_run
    assert "MemoryError" in _outputs(course, "memory_bomb")
    assert scores["memory_bomb"]["l01_neuron_forward"] == 2.0


def test_fork_bomb_hits_the_task_limit_and_leaves_nothing(resources_run):
    course, c, run, scores, _ = resources_run
    assert "fork refused after" in _outputs(course, "fork_bomb")
    assert scores["fork_bomb"]["l01_neuron_forward"] == 2.0
    time.sleep(1)
    leftovers = []
    ours = 200_000 + (os.getpid() % 10_000) * 64  # sandbox.allocate_uid's range for this process
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                uid = os.stat(f"/proc/{pid}").st_uid
            except OSError:
                continue
            # Only our own sandboxes: other graders (a demo, a bench) may be running meanwhile.
            if ours <= uid < ours + 64:
                leftovers.append(pid)
    assert leftovers == []


def test_huge_output_is_capped(resources_run):
    course, c, run, scores, _ = resources_run
    p = course / "autograded" / "huge_output" / H.ASSIGNMENT / "attack01.ipynb"
    assert p.stat().st_size < 3 * 1024**2
    assert scores["huge_output"]["l01_neuron_forward"] == 2.0
    assert H.codes_of(course, "huge_output") & {"output_truncated", "timeout"}


def test_huge_file_hits_the_file_size_limit(resources_run):
    course, c, run, scores, _ = resources_run
    assert "file refused 27" in _outputs(course, "huge_file")  # EFBIG
    assert scores["huge_file"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}
    assert not list((course / "autograded" / "huge_file").rglob("big.bin"))


def test_notebook_wall_time_limit(tmp_path, monkeypatch):
    import tempfile

    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_parent))
    cells = ["import time\ntime.sleep(2.5)"] * 5 + ["print('late')"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    ep = SandboxedExecute(timeout=10, notebook_timeout=6.0, kernel_name="python3")
    res = {"metadata": {"path": str(tmp_path)}, "unique_key": "wall"}
    t0 = time.monotonic()
    nb, res = ep.preprocess(nb, res)
    assert time.monotonic() - t0 < 20
    codes = {f["code"] for f in res["integrity"]["flags"]}
    assert codes & {"wall_timeout", "timeout"}
    assert nb.cells[-1].outputs[0]["ename"] == "SandboxError"
    assert list(scratch_parent.iterdir()) == []  # the scratch copy is gone


def test_sandbox_argv_is_a_plain_command(tmp_path):
    """The interface the kernel pool uses: a list of strings ending with the kernel argv."""
    s = make_scratch(tmp_path)
    try:
        argv = sandbox_argv(["python", "-c", "pass"], s.work, ipc_dir=s.ipc, uid=s.uid)
        assert argv[0].endswith("bwrap") and argv[-3:] == ["python", "-c", "pass"]
        assert "--unshare-net" in argv and "--die-with-parent" in argv
        assert all(isinstance(a, str) for a in argv)
    finally:
        s.cleanup()
    assert not s.root.exists()


def test_sandbox_argv_unprivileged_grader_uses_a_user_namespace(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    argv = sandbox_argv(["python"], tmp_path, ipc_dir=tmp_path, uid=1000)
    assert "--unshare-user" in argv and not any(a.endswith("setpriv") for a in argv)
    nproc = next(a for a in argv if a.startswith("--nproc="))
    assert int(nproc.split("=")[1]) >= 128


NOBODY = 65534


def test_unprivileged_grader_sandbox_really_blocks(exposed, listener, monkeypatch):
    """The path a non-root grader takes (a user namespace, no setpriv), run for real: the
    command sandbox_argv builds for an unprivileged grader is executed as an unprivileged uid
    and the probes must all be BLOCKED. The kernel is the system Python (stdlib probes): the
    venv may live where that uid cannot reach it (/root), so the Python roots are not bound."""
    import autograder.grading.execution.sandbox as sb

    require(os.geteuid() == 0, "this test drops to an unprivileged uid: it needs a root grader")
    require(shutil.which("bwrap") is not None, "bubblewrap is not installed")
    course, targets = exposed
    _, hits = listener
    s = make_scratch(uid=NOBODY)
    os.chmod(s.root, 0o711)  # the unprivileged bwrap must reach work/ and ipc/ (owned by it)
    try:
        with monkeypatch.context() as m:
            m.setattr(os, "geteuid", lambda: NOBODY)
            m.setattr(sb, "_python_roots", lambda: [])
            argv = sandbox_argv(
                [CONTROL_PYTHON, "-c", probes.script(targets)],
                s.work,
                ipc_dir=s.ipc,
                uid=NOBODY,
                # the repository on the path: only autograder/student is mounted there
                env={**sandbox_env(0), "PYTHONPATH": str(REPO)},
            )
        assert "--unshare-user" in argv and SETPRIV not in argv
        before = len(hits)
        res = subprocess.run(
            _as_uid(NOBODY) + argv, capture_output=True, text=True, timeout=120, cwd="/"
        )
    finally:
        s.cleanup()
    assert "PROBES DONE" in res.stdout, res.stdout + res.stderr
    assert probes.outcomes(res.stdout) == dict.fromkeys(probes.PROBE_NAMES, "BLOCKED")
    time.sleep(0.3)
    assert len(hits) == before


def test_missing_bwrap_stops_grading_loudly(monkeypatch, tmp_path):
    import autograder.grading.execution.sandbox as sb

    monkeypatch.setattr(sb, "BWRAP", str(tmp_path / "no-bwrap"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    ep = SandboxedExecute(kernel_name="python3")
    with pytest.raises(sb.SandboxUnavailable):
        ep.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
