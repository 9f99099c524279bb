"""Categories 3 (reaching outside) and 4 (resources): the bwrap sandbox, end to end through
nbgrader (one class run each) and directly through SandboxedExecute."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402

from autograder.grading.execution.sandbox import (  # noqa: E402
    make_scratch,
    sandbox_argv,
    sandbox_env,
)
from autograder.grading.execution.sandboxed_execute import SandboxedExecute  # noqa: E402

pytestmark = pytest.mark.slow
REPO = H.REPO

PROBES = """
import os, socket, subprocess
COURSE, REPO, PORT = {course!r}, {repo!r}, {port}
_n = 0
def probe(name, fn):
    global _n
    _n += 1
    try:
        fn()
        print("LEAK", name)
    except BaseException as e:
        print("BLOCKED", name, type(e).__name__)
probe("read_source", lambda: open(COURSE + "/source/attack01/attack01.ipynb").read())
probe("read_source_relative", lambda: open("../../../source/attack01/attack01.ipynb").read())
probe("read_gradebook", lambda: open(COURSE + "/gradebook.db", "rb").read(16))
probe("write_gradebook", lambda: open(COURSE + "/gradebook.db", "ab").write(b"x"))
probe("other_students", lambda: os.listdir(COURSE + "/submitted"))
probe("read_reference", lambda: open(REPO + "/course/activations.py").read())
probe("read_solutions", lambda: os.listdir(REPO + "/autograder/grading"))
probe("import_course", lambda: __import__("course.activations"))
probe("import_grading", lambda: __import__("autograder.grading.solutions"))
probe("write_course", lambda: open(COURSE + "/pwned.txt", "w").write("x"))
probe("write_repo", lambda: open(REPO + "/pwned.txt", "w").write("x"))
probe("write_venv", lambda: open(REPO + "/.venv/pwned.txt", "w").write("x"))
probe("write_usr", lambda: open("/usr/pwned.txt", "w").write("x"))
probe("setuid_root", lambda: os.setuid(0))
probe("tcp_to_grader_host", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=3))
probe("tcp_internet", lambda: socket.create_connection(("1.1.1.1", 80), timeout=3))
probe("dns", lambda: socket.getaddrinfo("example.com", 80))
probe("sudo", lambda: subprocess.run(["sudo", "true"], check=True, capture_output=True))
print("PROBES", _n)
print("ENV", sorted(os.environ))
"""

PROBE_COUNT = 18


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the grader's loopback: the sandbox must not reach it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    hits = []
    stop = threading.Event()

    def serve():
        srv.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                hits.append(1)
                conn.close()
            except OSError:
                continue

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield srv.getsockname()[1], hits
    stop.set()
    t.join()
    srv.close()


@pytest.fixture(scope="module")
def outside(tmp_path_factory, listener):
    port, hits = listener
    course, c = H.new_course(tmp_path_factory.mktemp("outside"))
    H.submit(course, "honest", H.honest(course))
    nb = H.honest(course)
    probes = PROBES.format(course=str(course), repo=str(REPO), port=port)
    H.answer(nb, "l01_relu_answer", H.RELU_OK + probes)
    H.submit(course, "prober", nb)
    keep = ("autograded", "integrity")
    before = H.tree_hash(course, exclude=keep)
    before.pop("gradebook.db")
    run = H.autograde(course, c)
    after = H.tree_hash(course, exclude=keep)
    after.pop("gradebook.db")
    out = nbformat.read(course / "autograded" / "prober" / H.ASSIGNMENT / "attack01.ipynb", 4)
    text = "".join(
        o.get("text", "")
        for cell in out.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
    )
    return course, c, run, H.scores(course, c), before, after, text, hits


def test_every_probe_ran_and_was_blocked(outside):
    *_, text, hits = outside
    assert f"PROBES {PROBE_COUNT}" in text
    assert "LEAK" not in text, text
    assert text.count("BLOCKED") == PROBE_COUNT
    assert hits == []


def test_nothing_outside_scratch_changed(outside):
    course, c, run, scores, before, after, text, hits = outside
    assert before == after
    assert not (course / "pwned.txt").exists()
    assert not (REPO / "pwned.txt").exists()
    assert not (REPO / ".venv" / "pwned.txt").exists()


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


def test_missing_bwrap_stops_grading_loudly(monkeypatch, tmp_path):
    import autograder.grading.execution.sandbox as sb

    monkeypatch.setattr(sb, "BWRAP", str(tmp_path / "no-bwrap"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    ep = SandboxedExecute(kernel_name="python3")
    with pytest.raises(sb.SandboxUnavailable):
        ep.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
