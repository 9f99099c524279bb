"""Per-student hidden inputs: HMAC(course secret, student) -> key -> HMAC(key, exercise, seed).

Oracles: the key is recomputed here with hmac/hashlib directly (the documented derivation, not
the code under test); "different inputs" is checked on the arrays themselves; "the kernel and the
grader agree" is checked by scores (a correct answer recorded on other inputs than the grader
regenerates scores 0, so full marks can only mean both sides used the same cases).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade
from traitlets.config import Config

from autograder.grading.config import GradingError
from autograder.grading.scoring import student_inputs as SI
from autograder.grading.scoring.trusted_scores import TrustedScores
from autograder.student.contract import RECORD_MIME, STUDENT_KEY_ENV, student_key_from_env
from autograder.student.record import make_bundle
from autograder.student.spec import case_seed, get_exercise
from tests.ci_guard import require

SEED = 4242
SECRET = b"0123456789abcdef0123456789abcdef"


def relu(z):
    return np.maximum(0.0, np.asarray(z, dtype=float))


def relu_derivative(z):
    return (np.asarray(z, dtype=float) > 0).astype(float)


def _config(secret_file: Path) -> Config:
    c = Config()
    c.StudentInputs.secret_file = str(secret_file)
    c.TrustedScores.grading_seed = SEED
    return c


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "course-secret"
    path.write_bytes(SECRET + b"\n")
    return path


def test_student_key_is_the_documented_hmac():
    want = hmac.new(SECRET, b"student\0alice", hashlib.sha256).hexdigest()
    assert SI.student_key(SECRET, "alice") == want
    assert SI.student_key(SECRET, "bob") != want
    assert SI.student_key(None, "alice") == ""  # no secret: shared cases, as before


def test_case_seed_without_key_is_unchanged():
    import zlib

    assert case_seed(SEED, "l01_relu") == [SEED, zlib.crc32(b"l01_relu")]


def test_two_students_get_different_inputs_and_each_is_reproducible():
    ex = get_exercise("l01_relu")
    ka, kb = SI.student_key(SECRET, "alice"), SI.student_key(SECRET, "bob")
    a1, a2, b = (
        ex.cases_for_seed(SEED, ka),
        ex.cases_for_seed(SEED, ka),
        ex.cases_for_seed(SEED, kb),
    )
    shared = ex.cases_for_seed(SEED)
    assert len(a1) == len(b) == len(shared)
    for x, y in zip(a1, a2, strict=True):
        np.testing.assert_array_equal(np.asarray(x["z"]), np.asarray(y["z"]))  # same process
    za = np.concatenate([np.ravel(c["z"]) for c in a1])
    zb = np.concatenate([np.ravel(c["z"]) for c in b])
    zs = np.concatenate([np.ravel(c["z"]) for c in shared])
    assert za.shape != zb.shape or not np.allclose(za, zb)
    assert za.shape != zs.shape or not np.allclose(za, zs)


def test_env_key_read_only_when_hex():
    assert student_key_from_env({STUDENT_KEY_ENV: "AB12"}) == "ab12"
    assert student_key_from_env({STUDENT_KEY_ENV: "not hex"}) == ""
    assert student_key_from_env({}) == ""


def test_secret_file_and_env(tmp_path, secret_file, monkeypatch):
    assert SI.course_secret(_config(secret_file)) == SECRET
    monkeypatch.setenv("MY_SECRET", SECRET.decode())
    c = Config()
    c.StudentInputs.secret_env = "MY_SECRET"
    assert SI.course_secret(c) == SECRET
    monkeypatch.delenv(SI.DEFAULT_SECRET_ENV, raising=False)
    assert SI.course_secret(Config()) is None


@pytest.mark.parametrize("content", [None, b"short"], ids=["missing", "too_short"])
def test_bad_secret_is_one_line(tmp_path, content):
    path = tmp_path / "s"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(GradingError) as err:
        SI.course_secret(_config(path))
    assert "\n" not in str(err.value) and "course secret" in str(err.value)


def _graded(bundle, student, config):
    cell = new_code_cell('check("l01_relu")')
    cell.metadata["nbgrader"] = {
        "grade": True, "locked": True, "solution": False, "grade_id": "l01_relu",
        "points": 2, "schema_version": 3,
    }  # fmt: skip
    cell.outputs = [new_output("display_data", data={RECORD_MIME: bundle})]
    resources = {"nbgrader": {"student": student}}
    nb, _ = TrustedScores(config=config).preprocess(new_notebook(cells=[cell]), resources)
    return determine_grade(nb.cells[0])[0]


def test_same_code_same_score_and_records_not_transferable(secret_file):
    c = _config(secret_file)
    ka, kb = SI.student_key(SECRET, "alice"), SI.student_key(SECRET, "bob")
    rec_a = make_bundle("l01_relu", relu, relu_derivative, seed=SEED, student_key=ka)
    rec_b = make_bundle("l01_relu", relu, relu_derivative, seed=SEED, student_key=kb)
    assert rec_a["cases"] != rec_b["cases"]  # the recorded outputs differ: the inputs did
    assert _graded(rec_a, "alice", c) == _graded(rec_b, "bob", c) == 2.0
    assert _graded(rec_a, "alice", c) == 2.0  # regrade: identical
    # bob handing in alice's recorded numbers (or a kernel without the key) earns nothing
    assert _graded(rec_a, "bob", c) == 0.0
    shared = make_bundle("l01_relu", relu, relu_derivative, seed=SEED, student_key="")
    assert _graded(shared, "alice", c) == 0.0


# -- end to end: real nbgrader Autograde, the sandboxed kernel ----------------------------------

sys.path.insert(0, str(Path(__file__).parent / "attacks"))

PROBE = """
print("KEY=" + str(__import__("os").environ.get({key_env!r})))
print("SECRET=" + str(__import__("os").environ.get("BACKPROP_COURSE_SECRET")))
"""


@pytest.mark.slow
def test_autograde_two_students_identical_code(tmp_path_factory, monkeypatch):
    import harness as H
    import nbformat

    require(os.geteuid() == 0, "the sandboxed kernel needs a root grader")
    require(shutil.which("bwrap") is not None, "bubblewrap is not installed")
    outside = tmp_path_factory.mktemp("secret")  # not under the course directory
    secret = SI.write_secret(outside / "course-secret")
    monkeypatch.setenv("BACKPROP_COURSE_SECRET", "must-never-reach-the-kernel-0123456789")
    course, c = H.new_course(tmp_path_factory.mktemp("perstudent"))
    c.StudentInputs.secret_file = str(secret)
    for student in ("alice", "bob"):
        nb = H.honest(course)
        H.answer(nb, "l01_relu_answer", H.RELU_OK + PROBE.format(key_env=STUDENT_KEY_ENV))
        H.submit(course, student, nb)
    runs = []
    for _ in range(2):  # grade, then regrade
        run = H.autograde(course, c, preflight=False)
        assert run["error"] is None
        runs.append(H.scores(course, c))
    first, regrade = runs
    assert first == regrade
    assert first["alice"] == first["bob"]
    assert first["alice"]["l01_relu"] == 2.0 and first["alice"]["l01_neuron_forward"] == 2.0
    value = secret.read_bytes().strip()
    for student in ("alice", "bob"):
        nb = nbformat.read(
            course / "autograded" / student / H.ASSIGNMENT / f"{H.ASSIGNMENT}.ipynb", 4
        )
        printed = "".join(
            o.get("text", "")
            for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "l01_relu_answer"
            for o in cell.get("outputs", [])
        )
        assert f"KEY={SI.student_key(value, student)}\n" in printed, printed
        assert "SECRET=None" in printed  # the grader's env (and its secret) never reaches it
        assert value.decode() not in printed
