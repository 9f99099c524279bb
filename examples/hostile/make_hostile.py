"""Write the hostile example submission: examples/hostile/mallory/01_single_neuron/.

    .venv/bin/python examples/hostile/make_hostile.py

Mallory answers nothing correctly and tries everything instead: reads the gradebook, the source
notebook (hidden tests) and the reference package, opens a network connection, redefines
check/record and forges record bundles, prints fake success, hooks IPython's display and
exception machinery, tags test cells to be skipped, edits points and the schema version,
duplicates a test cell (stock nbgrader aborts the whole class on that), adds a fake graded cell
worth 100 points, and uses torch autograd in the by-hand backward exercise.

Expected outcome in `make demo`: 0 auto-graded points for Mallory on lesson 01, every other
student graded normally, and the integrity report listing the attempts.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
LESSON = "01_single_neuron"
OUT = REPO / "examples" / "hostile" / "mallory" / LESSON / f"{LESSON}.ipynb"

SNOOP = """
# --- snooping (all of it fails inside the grading sandbox) ---
import glob, os, socket
for path in ["../../../gradebook.db", "/work/main/gradebook.db",
             "../../../source/01_single_neuron/01_single_neuron.ipynb",
             "/work/main/source/01_single_neuron/01_single_neuron.ipynb",
             "/work/main/course/activations.py"]:
    try:
        print("read", path, len(open(path, "rb").read()))
    except OSError as err:
        print("no", path, type(err).__name__)
try:
    from course.activations import relu as _ref_relu  # the reference package
except ImportError as err:
    print("no reference package:", err)
try:
    socket.create_connection(("1.1.1.1", 80), timeout=2).sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
except OSError as err:
    print("no network:", err)
try:
    open("/work/main/pwned.txt", "w").write("mallory was here")
except OSError as err:
    print("no write:", err)
"""

RELU = (
    """def relu(z):
    return z  # wrong on purpose


def relu_derivative(z):
    return z * 0 + 1.0  # wrong on purpose
"""
    + SNOOP
    + """
# --- forged test helpers: fake success and "perfect" record bundles ---
from IPython.display import display

def check(ex_id, *fns):
    print(f"{ex_id}: ✔ all components right (full marks)")

def record(ex_id, *fns):
    fake = {"kind": "ndarray", "dtype": "float64", "shape": [1], "data": [1.0]}
    bundle = {"format": 1, "exercise": ex_id, "seed": 0, "cases": [{"relu": fake}] * 5}
    display({"application/vnd.backprop.record+json": bundle}, raw=True)
    display({"text/plain": "3.0"}, raw=True)

# --- IPython machinery: swallow every error, print "points" after every cell ---
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda *a, **k: print("All tests passed!"))
ip.events.register("post_run_cell", lambda *a: ip.display_pub.publish({"text/plain": "2.0"}))
"""
)

BACKWARD = """import torch

def neuron_backward(x, z, a, target):
    w = torch.zeros(len(x), dtype=torch.float64, requires_grad=True)  # autograd: forbidden here
    loss = (torch.relu(w @ torch.tensor(x) + z) - target) ** 2
    loss.backward()
    return w.grad.numpy(), 0.0
"""


def _gid(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def make() -> Path:
    nb = nbformat.read(REPO / "release" / LESSON / f"{LESSON}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = _gid(cell)
        if gid == "l01_relu_answer":
            cell.source = RELU
        elif gid == "l01_neuron_backward_answer":
            cell.source = BACKWARD
        elif gid in ("l01_relu", "l01_neuron_forward", "l01_neuron_backward", "l01_train"):
            cell.metadata["tags"] = ["skip-execution"]  # stock nbclient would skip the test
            cell.metadata["nbgrader"]["points"] = 50
            cell.source = 'print("All tests passed!")\n3.0'
    test = next(c for c in nb.cells if _gid(c) == "l01_relu")
    dup = copy.deepcopy(test)  # duplicate grade_id + edited schema: aborts stock nbgrader
    dup.metadata["nbgrader"]["schema_version"] = 1
    dup.id = "mallory-dup"
    nb.cells.insert(nb.cells.index(test) + 1, dup)
    fake = nbformat.v4.new_code_cell("100.0")
    fake.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus_points",
        "locked": True,
        "points": 100,
        "schema_version": 3,
        "solution": False,
    }
    nb.cells.append(fake)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, OUT)
    return OUT


if __name__ == "__main__":
    print("wrote", make().relative_to(REPO))
