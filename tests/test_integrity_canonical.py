"""CanonicalizeSubmission (unit level, no kernel): the graded notebook is the source notebook with
only the student's answers and plain extra cells in it, whatever the student did to the rest."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.grading.integrity import scan_shortcuts
from autograder.grading.scoring.canonicalize import canonicalize, release_view

sys.path.insert(0, str(Path(__file__).parent / "attacks"))
import harness as H  # noqa: E402

STUB = H.CODE_STUB


@pytest.fixture(scope="module")
def source():
    return nbformat.read(H.SOURCE_NB, as_version=4)


@pytest.fixture
def release(source):
    nb = copy.deepcopy(source)
    for c in nb.cells:
        c.source = release_view(c, STUB)
    return nb


def _gid(c):
    return c.metadata.get("nbgrader", {}).get("grade_id")


def _cell(nb, gid):
    return next(c for c in nb.cells if _gid(c) == gid)


def _codes(flags):
    return {f["code"] for f in flags}


def _same_as_source_except_answers(out, source, answers):
    assert [_gid(c) for c in out.cells if _gid(c)] == [_gid(c) for c in source.cells]
    for c in source.cells:
        o = _cell(out, _gid(c))
        assert o.cell_type == c.cell_type
        assert o.metadata["nbgrader"] == c.metadata["nbgrader"]
        assert o.source == answers.get(_gid(c), c.source)
    assert out.metadata["kernelspec"] == source.metadata["kernelspec"]


def test_release_view_matches_what_students_get(source):
    relu = release_view(_cell(source, "l01_relu_answer"), STUB)
    assert "BEGIN SOLUTION" not in relu and "np.maximum" not in relu
    assert relu.count("raise NotImplementedError()") == 2
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in relu
    test = release_view(_cell(source, "l01_relu"), STUB)
    assert test.strip().splitlines() == [
        "from autograder.student import check, record"
        "  # imported here: no name of yours can hide them",
        'check("l01_relu", relu, relu_derivative)',
    ]


def test_untouched_release_is_the_source_with_stubs_and_no_flags(source, release):
    out, flags = canonicalize(release, source, STUB)
    assert flags == []
    stubs = {
        g: release_view(_cell(source, g), STUB)
        for g in ("l01_relu_answer", "l01_neuron_forward_answer")
    }
    _same_as_source_except_answers(out, source, stubs)


def test_answers_taken_everything_else_from_source(source, release):
    H.answer(release, "l01_relu_answer", H.RELU_OK)
    out, flags = canonicalize(release, source, STUB)
    assert _cell(out, "l01_relu_answer").source == H.RELU_OK
    assert "### BEGIN HIDDEN TESTS" in _cell(out, "l01_relu").source  # hidden tests are back


@pytest.mark.parametrize(
    "attack, code",
    [
        ("edit_test", "edited_cell"),
        ("delete_test", "missing_cell"),
        ("duplicate_test", "duplicate_cell"),
        ("reorder", "reordered"),
        ("markdownify", "cell_type_changed"),
        ("points", "metadata_edited"),
        ("schema", "metadata_edited"),
        ("grade_flag", "metadata_edited"),
        ("tags", "tags_edited"),
        ("rename_grade_id", "missing_cell"),
        ("fake_test_cell", "unknown_graded_cell"),
    ],
)
def test_tampering_is_undone_and_flagged(source, release, attack, code):
    nb = release
    test = _cell(nb, "l01_relu")
    if attack == "edit_test":
        test.source = 'print("all tests passed")'
    elif attack == "delete_test":
        nb.cells.remove(test)
    elif attack == "duplicate_test":
        dup = copy.deepcopy(test)
        dup.source = "pass"
        nb.cells.insert(0, dup)  # the first occurrence is the tampered copy
    elif attack == "reorder":
        nb.cells.remove(test)
        nb.cells.insert(1, test)
    elif attack == "markdownify":
        test.cell_type = "markdown"
        test.pop("outputs")
        test.pop("execution_count")
    elif attack == "points":
        test.metadata.nbgrader.points = 100
    elif attack == "schema":
        test.metadata.nbgrader.schema_version = 1
    elif attack == "grade_flag":
        test.metadata.nbgrader.grade = False
        test.metadata.nbgrader.locked = False
    elif attack == "tags":
        test.metadata.tags = ["skip-execution", "raises-exception"]
    elif attack == "rename_grade_id":
        test.metadata.nbgrader.grade_id = "l01_relu_x"
    elif attack == "fake_test_cell":
        fake = nbformat.v4.new_code_cell("print(100)")
        fake.metadata.nbgrader = {
            "grade": True,
            "grade_id": "bonus",
            "points": 100,
            "locked": True,
            "solution": False,
            "schema_version": 3,
        }
        nb.cells.append(fake)
    out, flags = canonicalize(nb, source, STUB)
    assert code in _codes(flags), flags
    assert all(f["reason"] for f in flags)
    stubs = {
        g: release_view(_cell(source, g), STUB)
        for g in ("l01_relu_answer", "l01_neuron_forward_answer")
    }
    _same_as_source_except_answers(out, source, stubs)
    assert not any(c.metadata.get("tags") for c in out.cells)
    assert "bonus" not in {_gid(c) for c in out.cells}


def test_duplicate_answer_cells_first_occurrence_wins(source, release):
    ans = _cell(release, "l01_relu_answer")
    ans.source = H.RELU_OK
    dup = copy.deepcopy(ans)
    dup.source = "def relu(z):\n    return z\n"
    idx = release.cells.index(ans)
    release.cells.insert(idx + 1, dup)
    out, flags = canonicalize(release, source, STUB)
    assert _cell(out, "l01_relu_answer").source == H.RELU_OK
    assert "duplicate_cell" in _codes(flags)
    assert all("return z" not in c.source for c in out.cells)


def test_answer_turned_markdown_gets_the_stub(source, release):
    ans = _cell(release, "l01_relu_answer")
    ans.cell_type = "markdown"
    ans.pop("outputs")
    ans.pop("execution_count")
    ans.source = H.RELU_OK
    out, flags = canonicalize(release, source, STUB)
    assert _cell(out, "l01_relu_answer").cell_type == "code"
    assert "NotImplementedError" in _cell(out, "l01_relu_answer").source
    assert "cell_type_changed" in _codes(flags)


def test_extra_cells_kept_stripped_after_their_anchor(source, release):
    extra = nbformat.v4.new_code_cell("helper = 3")
    extra.metadata.tags = ["skip-execution"]
    extra.metadata.nbgrader = {"solution": True, "grade_id": "mine", "schema_version": 3}
    note = nbformat.v4.new_markdown_cell("my notes")
    ans = _cell(release, "l01_neuron_forward_answer")
    i = release.cells.index(ans)
    release.cells[i + 1 : i + 1] = [extra, note]
    first = nbformat.v4.new_code_cell("early = 1")
    release.cells.insert(0, first)
    out, flags = canonicalize(release, source, STUB)
    gids = [_gid(c) or c.source for c in out.cells]
    j = gids.index("l01_neuron_forward_answer")
    assert gids[j + 1 : j + 3] == ["helper = 3", "my notes"]
    assert gids[0] == "early = 1"
    for c in out.cells:
        if c.source in ("helper = 3", "my notes", "early = 1"):
            assert "nbgrader" not in c.metadata and "tags" not in c.metadata
    assert len({c.id for c in out.cells}) == len(out.cells)
    nbformat.validate(out)


def test_shortcut_scan_flags_reference_import_and_autograd(source, release):
    H.answer(
        release,
        "l01_neuron_forward_answer",
        "import torch\nfrom course.layers import neuron_forward as _nf\n\n"
        "def _helper(x, w, b):\n"
        "    wt = torch.tensor(w, requires_grad=True)\n"
        "    z = (wt * torch.tensor(x)).sum() + b\n"
        "    z.backward()\n    return z\n\n"
        "def neuron_forward(x, w, b):\n"
        "    z = float(_helper(x, w, b))\n    return z, max(z, 0.0)\n",
    )
    out, _ = canonicalize(release, source, STUB)
    res = scan_shortcuts(out, source, forbid_autograd=["l01_neuron_forward"])
    assert set(res["forbidden"]) == {"l01_neuron_forward"}
    assert any("backward" in u for u in res["forbidden"]["l01_neuron_forward"]["uses"])
    assert {"forbidden_import", "forbidden_autograd"} <= _codes(res["flags"])
    # not forbidden for that exercise by default: only flagged as an import
    res2 = scan_shortcuts(out, source)
    assert res2["forbidden"] == {}


def test_shortcut_scan_clean_answer_has_no_flags(source, release):
    H.answer(release, "l01_relu_answer", H.RELU_OK)
    H.answer(release, "l01_neuron_forward_answer", H.FORWARD_OK)
    out, _ = canonicalize(release, source, STUB)
    res = scan_shortcuts(out, source, forbid_autograd=["l01_relu", "l01_neuron_forward"])
    assert res == {"forbidden": {}, "flags": []}


def _forward_scan(source, release, body: str) -> dict:
    """scan_shortcuts of a submission whose neuron_forward (autograd forbidden) uses `body`."""
    H.answer(
        release,
        "l01_neuron_forward_answer",
        "import torch\n\ndef neuron_forward(x, w, b):\n"
        + body
        + "    z = float((wt * torch.tensor(x)).sum() + b)\n    return z, max(z, 0.0)\n",
    )
    out, _ = canonicalize(release, source, STUB)
    return scan_shortcuts(out, source, forbid_autograd=["l01_neuron_forward"])


def test_switching_autograd_off_is_not_using_it(source, release):
    off = (
        "    wt = torch.tensor(w, requires_grad=False).requires_grad_(False)\n"
        "    wt.requires_grad = False\n"
    )
    assert _forward_scan(source, release, off)["forbidden"] == {}
    # switching it on stays flagged, however written
    on = "    wt = torch.tensor(w).requires_grad_()\n"
    assert set(_forward_scan(source, release, on)["forbidden"]) == {"l01_neuron_forward"}


def test_garbage_cells_never_crash(source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [{"cell_type": "weird"}, "not a cell", nbformat.v4.new_code_cell("x = 1")]
    out, flags = canonicalize(nb, source, STUB)
    assert "malformed" in _codes(flags)
    assert [_gid(c) for c in out.cells if _gid(c)] == [_gid(c) for c in source.cells]
