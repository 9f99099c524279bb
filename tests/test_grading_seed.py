"""The grading seed: each of its sources reaches both the kernel and TrustedScores.

grading_seed_from (config.py) resolves, in order: c.TrustedScores.grading_seed,
c.SandboxedExecute.grading_seed, env BACKPROP_GRADING_SEED, 0. Every source is tested on its
own, with the others set to *different* values (so dropping a branch, or swapping the order,
changes the answer), and with SandboxedExecute.seed() (what the kernel gets) and
TrustedScores.grading_seed (what the grader regenerates the cases from) required to agree: if
they disagree every student scores 0 ("recorded with another grading seed").
"""

from __future__ import annotations

import pytest
from traitlets.config import Config

from autograder.grading.config import grading_seed_from
from autograder.grading.execution.sandboxed_execute import SandboxedExecute
from autograder.grading.scoring.trusted_scores import TrustedScores
from autograder.student.contract import SEED_ENV


def _config(trusted=None, sandboxed=None) -> Config:
    c = Config()
    if trusted is not None:
        c.TrustedScores.grading_seed = trusted
    if sandboxed is not None:
        c.SandboxedExecute.grading_seed = sandboxed
    return c


def _both(c: Config) -> tuple[int, int, int]:
    """(resolved, what the kernel gets, what TrustedScores uses)."""
    kernel = int(SandboxedExecute(config=c).seed())
    trusted = TrustedScores(config=c).grading_seed
    return grading_seed_from(c), kernel, trusted


@pytest.mark.parametrize(
    ("trusted", "sandboxed", "env", "want"),
    [
        (1234, None, "77", 1234),  # the documented c.TrustedScores.grading_seed = 1234
        (None, "4321", "77", 4321),  # c.SandboxedExecute.grading_seed (a string trait)
        (None, None, "77", 77),  # env BACKPROP_GRADING_SEED
        (None, None, None, 0),  # nothing set: 0
        (1234, "4321", "77", 1234),  # both configured: TrustedScores wins, for both sides
    ],
    ids=["trusted", "sandboxed", "env", "default", "trusted_over_sandboxed"],
)
def test_each_seed_source_reaches_kernel_and_grader(monkeypatch, trusted, sandboxed, env, want):
    if env is None:
        monkeypatch.delenv(SEED_ENV, raising=False)
    else:
        monkeypatch.setenv(SEED_ENV, env)
    assert _both(_config(trusted, sandboxed)) == (want, want, want)


def test_bad_env_seed_falls_back_to_zero(monkeypatch):
    monkeypatch.setenv(SEED_ENV, "not-a-number")
    assert _both(_config()) == (0, 0, 0)


def test_configured_seed_scores_a_correct_answer(monkeypatch):
    """End to end without a kernel: c.TrustedScores.grading_seed = 1234 alone, the env saying
    something else; the bundle a kernel records with the seed it was given earns full points."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output
    from nbgrader.utils import determine_grade

    from autograder.student.contract import RECORD_MIME
    from autograder.student.record import make_bundle

    monkeypatch.setenv(SEED_ENV, "77")
    c = _config(trusted=1234)
    kernel_seed = int(SandboxedExecute(config=c).seed())

    import numpy as np

    def relu(z):
        return np.maximum(0.0, np.asarray(z, dtype=float))

    def relu_derivative(z):
        return (np.asarray(z, dtype=float) > 0).astype(float)

    bundle = make_bundle("l01_relu", relu, relu_derivative, seed=kernel_seed)
    cell = new_code_cell('check("l01_relu")')
    cell.metadata["nbgrader"] = {
        "grade": True, "locked": True, "solution": False, "grade_id": "l01_relu",
        "points": 2, "schema_version": 3,
    }  # fmt: skip
    cell.outputs = [new_output("display_data", data={RECORD_MIME: bundle})]
    nb, _ = TrustedScores(config=c).preprocess(new_notebook(cells=[cell]), {})
    assert determine_grade(nb.cells[0])[0] == 2.0, nb.cells[0].outputs[0]["text"]
