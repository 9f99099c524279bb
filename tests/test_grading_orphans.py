"""A `backprop-grade autograde` killed with SIGKILL mid-run leaves no process behind: no worker,
no bubblewrap sandbox, no kernel (issue 13: before, the workers and their forked kernels of a
killed run were still alive minutes later). Both engines: the processes engine needs its
workers' parent-death signal (workers.die_with_parent: 11 processes were left without it); the
Dask engine's LocalCluster workers already stop with their nanny (measured: 0 left).

How it is seen: a small watcher process makes itself a child subreaper (PR_SET_CHILD_SUBREAPER),
so every orphan of the killed client is re-parented to the watcher rather than to init. The
watcher starts the real CLI, waits until its first notebook is graded (workers, sandboxes and
kernels all exist then), kills it with SIGKILL, and lists its remaining descendants after a
grace period; then it kills and reaps whatever is left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.grading.cli import app as cli
from tests import toy_course as toy

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]

WATCHER = r"""
import ctypes, json, os, signal, subprocess, sys, time
from pathlib import Path

course, grace = Path(sys.argv[1]), float(sys.argv[2])
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER

def descendants(root):
    kids = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                stat = (p / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2 :].split()
            if fields[0] != "Z":  # zombies are dead already
                kids.setdefault(int(fields[1]), []).append(int(p.name))
    out, todo = [], list(kids.get(root, []))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out

def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return "?"

client = subprocess.Popen(
    [sys.argv[3], "--no-progress", "--course-dir", str(course), "autograde", "--workers", "2",
     "--engine", sys.argv[4]],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
deadline = time.time() + 240
while time.time() < deadline and not list((course / "autograded").glob("*/*/*.ipynb")):
    time.sleep(0.2)
    if client.poll() is not None:
        break
time.sleep(1.0)
running = client.poll() is None
before = descendants(os.getpid())
kernels = [p for p in before if "ipykernel" in cmdline(p) or "zygote" in cmdline(p)]
sandboxes = [p for p in before if os.path.basename(cmdline(p).split(" ")[0]) == "bwrap"]
client.kill()
client.wait()
end = time.time() + grace
left = descendants(os.getpid())
while left and time.time() < end:
    time.sleep(0.2)
    while True:  # reap re-parented orphans that exited
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    left = descendants(os.getpid())
report = {
    "running_when_killed": running,
    "before": len(before),
    "kernels": len(kernels),
    "sandboxes": len(sandboxes),
    "left": [cmdline(p) for p in left],
}
for pid in left:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
print(json.dumps(report))
"""


@pytest.mark.parametrize("engine", ["processes", "dask"])
def test_killed_client_leaves_no_process_behind(tmp_path, engine):
    root = tmp_path / "course"
    students = {f"s{i:02d}": ("full" if i % 2 else "wrong") for i in range(16)}
    info = toy.make_toy_course(root, students)
    base = ["--no-progress", "--course-dir", str(root)]
    assert cli.main([*base, "release"]) == 0
    assert cli.main([*base, "collect", "--from", str(info["submissions"])]) == 0
    exe = str(REPO / ".venv" / "bin" / "backprop-grade")
    proc = subprocess.run(
        [sys.executable, "-c", WATCHER, str(root), "15", exe, engine],
        capture_output=True,
        text=True,
        timeout=400,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    # the kill came mid-run, with the grading machinery up ...
    assert report["running_when_killed"], report
    assert report["before"] >= 4 and report["sandboxes"] >= 1, report
    # ... and 15 s later nothing of it is left
    assert report["left"] == [], report
