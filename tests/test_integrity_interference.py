"""Category 2 (student code interfering with the tests), end to end through nbgrader + bwrap.

Every attacker answers relu wrong (0 of 2 unless noted) and neuron_forward right (2 of 2), then
tries to turn its wrong answer into points from inside the kernel. Points come only from the
numbers in the record bundles, checked in the grader process, so none of it works.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402

pytestmark = pytest.mark.slow

RELU_WRONG = "def relu(z):\n    return z\n\n\ndef relu_derivative(z):\n    return z * 0 + 1.0\n"

ATTACKS = {
    # redefine the test helpers: a fake check, and a record that forges a "perfect" bundle
    "redefine_check_record": RELU_WRONG
    + """
from IPython.display import display

def check(*a, **k):
    print("✔ all components right")

def record(ex_id, *fns):
    cases = [{"relu": {"kind": "ndarray", "dtype": "float64", "shape": [1], "data": [1.0]},
              "relu_derivative": {"kind": "ndarray", "dtype": "float64", "shape": [1],
                                  "data": [1.0]}}] * 5
    display({"application/vnd.backprop.record+json":
             {"format": 1, "exercise": ex_id, "seed": 0, "cases": cases}}, raw=True)
    display({"text/plain": "2.0"}, raw=True)
""",
    "allclose_true": RELU_WRONG
    + """
import numpy
numpy.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
numpy.isclose = lambda *a, **k: numpy.bool_(True)
""",
    # an object whose comparisons lie
    "lying_object": """
class Liar(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, *a, **k):
        import numpy
        return numpy.zeros(0)
    __hash__ = float.__hash__

def relu(z):
    return Liar(0.0)

def relu_derivative(z):
    return Liar(0.0)
""",
    "builtins": RELU_WRONG
    + """
import builtins
builtins.isinstance = lambda *a: True
builtins.len = lambda *a: 5
""",
    # IPython machinery: exception handler, display hook, run-cell events, sys.displayhook
    "ipython_hooks": RELU_WRONG
    + """
import sys
ip = get_ipython()
def swallow(shell, etype, evalue, tb, tb_offset=None):
    print("passed")
ip.set_custom_exc((BaseException,), swallow)
def fake(*a, **k):
    ip.display_pub.publish({"text/plain": "2.0"})
ip.events.register("pre_run_cell", fake)
ip.events.register("post_run_cell", fake)
sys.displayhook = lambda v: print("2.0")
""",
    # stdout/stderr redirected and closed: record() does not use them, right answers score
    "close_streams_right": H.RELU_OK
    + """
import io, os, sys
sys.stdout = io.StringIO()
sys.stderr.close()
os.close(1)
os.close(2)
""",
    # warnings on stderr with right answers: full marks (stock nbgrader: 0)
    "warnings_right": H.RELU_OK
    + """
import sys, warnings
warnings.warn("a UserWarning, as torch prints them")
print("some noise on stderr", file=sys.stderr)
""",
}


# a message the grader's client cannot decode (200000-deep JSON, validly signed by the kernel)
PROTOCOL_BOMB = r"""
k = get_ipython().kernel
deep = b'{"data": {}, "metadata": {}, "z": ' + b"[" * 200000 + b"]" * 200000 + b"}"
orig = k.session.pack
k.session.pack = lambda obj: deep if isinstance(obj, dict) and obj.get("z") == 1 else orig(obj)
k.session.send(k.iopub_socket, "display_data", content={"z": 1}, parent=k.get_parent("shell"))
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course, c = H.new_course(tmp_path_factory.mktemp("interfere"), timeout=8)
    H.submit(course, "honest", H.honest(course))
    for student, relu_src in ATTACKS.items():
        nb = H.honest(course)
        H.answer(nb, "l01_relu_answer", relu_src)
        H.submit(course, student, nb)
    # an honest student whose own names are those the test cells use: full marks
    nb = H.honest(course)
    H.answer(nb, "l01_relu_answer", "check = [0.5, 1.0]\nrecord = {'best': 0.0}\n" + H.RELU_OK)
    H.submit(course, "shadows_names", nb)
    # the kernel dies after l01_relu recorded: that score is kept (relu right here)
    nb = H.honest(course)
    H.answer(nb, "l01_neuron_forward_answer", "import os\nos._exit(3)")
    H.submit(course, "exit_after_relu", nb)
    nb = H.honest(course)
    H.answer(nb, "l01_relu_answer", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    H.submit(course, "sigkill_first", nb)
    nb = H.honest(course)
    H.answer(nb, "l01_neuron_forward_answer", PROTOCOL_BOMB)
    H.submit(course, "protocol_bomb", nb)
    run = H.autograde(course, c)
    return course, c, run, H.scores(course, c)


def test_run_finishes_honest_full_marks(graded):
    course, c, run, scores = graded
    assert run["error"] is None
    assert scores["honest"] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}


@pytest.mark.parametrize(
    "student", ["redefine_check_record", "allclose_true", "lying_object", "builtins"]
)
def test_interference_wins_nothing(graded, student):
    course, c, run, scores = graded
    assert scores[student]["l01_relu"] == 0.0
    # a fake record() or broken builtins also ruin the student's own next exercise
    if student not in ("builtins", "redefine_check_record"):
        assert scores[student]["l01_neuron_forward"] == 2.0


def test_ipython_hooks_win_nothing_and_are_flagged(graded):
    course, c, run, scores = graded
    assert scores["ipython_hooks"]["l01_relu"] == 0.0
    reasons = " ".join(f["reason"] for f in H.flags_of(course, "ipython_hooks"))
    assert "set_custom_exc" in reasons and "events.register" in reasons


def test_forged_bundle_is_flagged(graded):
    course, *_ = graded
    reasons = " ".join(f["reason"] for f in H.flags_of(course, "redefine_check_record"))
    assert "record bundles" in reasons


@pytest.mark.parametrize("student", ["close_streams_right", "warnings_right", "shadows_names"])
def test_right_answers_survive_stream_games_and_warnings(graded, student):
    course, c, run, scores = graded
    assert scores[student] == {"l01_relu": 2.0, "l01_neuron_forward": 2.0}


def test_kernel_exit_keeps_the_scores_recorded_before(graded):
    course, c, run, scores = graded
    assert scores["exit_after_relu"] == {"l01_relu": 2.0, "l01_neuron_forward": 0.0}
    assert "kernel_died" in H.codes_of(course, "exit_after_relu")


def test_sigkill_scores_zero_and_is_flagged(graded):
    course, c, run, scores = graded
    assert scores["sigkill_first"] == {"l01_relu": 0.0, "l01_neuron_forward": 0.0}
    assert "kernel_died" in H.codes_of(course, "sigkill_first")


def test_undecodable_message_stops_only_that_notebook(graded):
    course, c, run, scores = graded
    assert scores["protocol_bomb"] == {"l01_relu": 2.0, "l01_neuron_forward": 0.0}
    assert "kernel_protocol" in H.codes_of(course, "protocol_bomb")
