"""check() and record(): the student-side entry points, on lesson 01's exercises.

Oracles: seed 004's verified figures (backprop-numerics.md) and torch.autograd in float64.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.student import CheckFailed, check, record
from autograder.student.check import SUCCESS_LINE
from autograder.student.record import MIME, make_bundle
from autograder.student.serialize import decode
from autograder.student.spec import get_exercise

REPO = Path(__file__).resolve().parents[1]


# A correct student (written independently of course/).
def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(z):
    return (np.asarray(z) > 0).astype(float)


def neuron_forward(x, w, b):
    z = float(np.dot(w, x) + b)
    return z, max(z, 0.0)


def neuron_backward(x, z, a, target):
    delta = 2.0 * (a - target) * (1.0 if z > 0 else 0.0)
    return delta * np.asarray(x, dtype=float), delta


def train_neuron(x, w, b, target, lr, steps):
    w, b, losses = np.array(w, dtype=float), float(b), []
    for _ in range(steps):
        z, a = neuron_forward(x, w, b)
        losses.append((a - target) ** 2)
        dw, db = neuron_backward(x, z, a, target)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


def test_seed004_oracle_for_the_correct_student():
    """The correct student reproduces seed 004's verified numbers and torch's gradient."""
    x, w0 = np.array([1.0, -2.0, 3.0]), np.array([-3.0, -1.0, 2.0])
    w, b, losses = train_neuron(x, w0, 1.0, 0.0, 0.001, 200)
    np.testing.assert_allclose(w, [-3.3990955, -0.20180899, 0.80271349], rtol=1e-6)
    assert b == pytest.approx(0.6009045, rel=1e-6) and losses[-1] == pytest.approx(
        1.9564e-4, rel=1e-4
    )
    wt = torch.tensor(w0, requires_grad=True)
    bt = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    loss = (torch.relu(wt @ torch.tensor(x) + bt) - 0.0) ** 2
    loss.backward()
    dw, db = neuron_backward(x, *reversed(neuron_forward(x, w0, 1.0)), 0.0)
    np.testing.assert_allclose(dw, wt.grad.numpy())
    assert db == pytest.approx(bt.grad.item())


@pytest.fixture
def interactive(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


CORRECT = {
    "l01_relu": (relu, relu_derivative),
    "l01_neuron_forward": (neuron_forward,),
    "l01_neuron_backward": (neuron_backward,),
    "l01_train": (train_neuron,),
}


@pytest.mark.parametrize("ex_id", sorted(CORRECT))
def test_check_passes_correct_functions(ex_id, interactive, capsys):
    check(ex_id, *CORRECT[ex_id])
    out = capsys.readouterr().out
    assert SUCCESS_LINE in out and "\u2718" not in out
    assert "the worked example is right; grading will run your function on fresh inputs" in out


def test_check_fails_with_a_short_message_and_a_diagnosis(interactive, capsys):
    def half_backward(x, z, a, target):
        dw, db = neuron_backward(x, z, a, target)
        return dw / 2, db / 2

    with pytest.raises(CheckFailed) as info:
        check("l01_neuron_backward", half_backward)
    assert str(info.value) == "l01_neuron_backward: 2 of 2 wrong (dw, db)"
    assert info.value._render_traceback_() == [
        "\x1b[31mCheckFailed\x1b[0m: l01_neuron_backward: 2 of 2 wrong (dw, db)"
    ]
    out = capsys.readouterr().out
    assert "\u2718 dw" in out and "factor 2" in out and "\u00a71.4" in out


def test_check_names_the_seed_misconception(interactive, capsys):
    ge = lambda z: (np.asarray(z) >= 0).astype(float)  # noqa: E731 - seed 001's ReLU'
    with pytest.raises(CheckFailed):
        check("l01_relu", relu, ge)
    out = capsys.readouterr().out
    assert "\u2714 relu\n" in out and "ReLU'(0) taken as 1" in out


def test_check_only_prints_while_autograding(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    check("l01_relu", relu, relu)  # wrong, but must not raise
    assert "l01_relu: 1 of 2 wrong" in capsys.readouterr().out


def test_check_bad_calls_are_one_line(interactive):
    with pytest.raises(
        CheckFailed, match=r"needs 2 function\(s\) \(relu, relu_derivative\), got 1"
    ):
        check("l01_relu", relu)
    with pytest.raises(CheckFailed, match="`neuron_forward` is a int"):
        check("l01_neuron_forward", 3)
    with pytest.raises(CheckFailed, match="no worked example"):
        check("l77_nothing", relu)


def test_check_survives_hostile_functions(interactive, capsys):
    def shouty(x, w, b):
        print("x" * 1000)
        raise SystemError("deliberate")

    with pytest.raises(CheckFailed):
        check("l01_neuron_forward", shouty)
    out = capsys.readouterr().out
    assert "raised SystemError: deliberate" in out and "x" * 100 not in out


@pytest.fixture
def displayed(monkeypatch):
    """What record() displays, as if inside an IPython kernel."""
    import IPython.display
    from IPython.core.interactiveshell import InteractiveShell

    shown = []
    monkeypatch.setattr(InteractiveShell, "initialized", classmethod(lambda cls: True))
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    return shown


def test_record_outside_ipython_prints_nothing(capsys):
    record("l01_relu", relu, relu_derivative)
    assert capsys.readouterr() == ("", "")


def test_record_emits_exactly_one_display_data(displayed, monkeypatch, capsys):
    shown = displayed
    monkeypatch.setenv("BACKPROP_GRADING_SEED", "77")
    assert record("l01_train", train_neuron) is None
    assert capsys.readouterr() == ("", "")
    assert len(shown) == 1 and shown[0][1] is True
    bundle = shown[0][0][MIME]
    json.dumps(bundle, allow_nan=False)
    assert bundle["exercise"] == "l01_train" and bundle["seed"] == 77
    assert len(bundle["cases"]) == len(get_exercise("l01_train").cases_for_seed(77))
    # every component of every case holds numbers (a correct function), not an error marker
    for case in bundle["cases"]:
        assert set(case) == {"w", "b", "losses"}
        assert all(v["kind"] in ("ndarray", "scalar", "list") for v in case.values()), case


def test_record_is_deterministic_and_depends_on_seed_and_exercise():
    ex = get_exercise("l01_neuron_forward")
    a, b, c = ex.cases_for_seed(5), ex.cases_for_seed(5), ex.cases_for_seed(6)
    assert all(np.array_equal(x["w"], y["w"]) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0]["w"], c[0]["w"])
    assert make_bundle("l01_train", train_neuron, seed=5) == make_bundle(
        "l01_train", train_neuron, seed=5
    )


def test_grading_cases_are_float64_with_a_batch_of_one_and_no_kinks():
    for ex_id in CORRECT:
        ex = get_exercise(ex_id)
        cases = ex.cases_for_seed(123)
        assert 3 <= len(cases) <= 6
        for case in cases:
            for v in case.values():
                assert isinstance(v, float | int) or v.dtype == np.float64
    fwd = get_exercise("l01_neuron_forward").cases_for_seed(9)
    zs = [c["w"] @ c["x"] + c["b"] for c in fwd]
    assert min(abs(z) for z in zs) > 1e-3 and min(zs) < 0 < max(zs)
    assert any(c["x"].shape == (1,) for c in fwd)


@pytest.mark.parametrize(
    "fns",
    [
        (),
        (relu,),
        (lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()),),
        (lambda *a: iter([1.0]),),
        (lambda *a: os,),
    ],
)
def test_record_never_raises(fns, displayed, capsys):
    record("l01_neuron_forward", *fns)
    record("l55_unknown", *fns)
    assert capsys.readouterr() == ("", "")
    assert len(displayed) == 2
    first, unknown = displayed[0][0][MIME], displayed[1][0][MIME]
    # the bad functions cost their components (errors recorded), never a crash of record()
    assert "error" in first or all(
        v["kind"] in ("error", "unsupported") for case in first["cases"] for v in case.values()
    ), first
    assert "l55_unknown" in unknown["error"] and unknown["cases"] == []


def test_record_of_wrong_return_count():
    bundle = make_bundle("l01_neuron_forward", lambda x, w, b: 1.0, seed=0)
    first = decode(bundle["cases"][0]["z"])
    assert first.type == "WrongReturn" and "expected a tuple of 2 values (z, a)" in first.message


BLOCKER = textwrap.dedent(
    """
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name == "course" or name.startswith(("course.", "autograder.grading")):
                raise ImportError(f"{name} is not available to students")
            return None
    sys.meta_path.insert(0, Block())
    """
)


@pytest.mark.slow
def test_check_and_record_work_without_course(tmp_path):
    """Students do not have course/ nor autograder.grading: the checks must not need them."""
    script = BLOCKER + textwrap.dedent(
        """
        import numpy as np
        try:
            import course
        except ImportError:
            pass
        else:
            raise SystemExit("blocker failed")
        from autograder.student import check
        from autograder.student.record import make_bundle
        def relu(z):
            return np.maximum(0.0, np.asarray(z, dtype=float))
        def relu_derivative(z):
            return (np.asarray(z) > 0).astype(float)
        check("l01_relu", relu, relu_derivative)
        assert make_bundle("l01_relu", relu, relu_derivative)["cases"]
        assert not any(m == "course" or m.startswith("autograder.grading") for m in sys.modules)
        print("OK")
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    res = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().endswith("OK")
