"""autograder.tolerance: generated data compared with a documented tolerance, never bit for bit.

The Done-when lines of issue 12: a fixture whose floats differ in the last bit (as on another
CPU) is still up to date; a value changed by 1e-6 is not; structure (keys, kinds, dtypes,
shapes, strings, int vs float) must match exactly.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from autograder.tolerance import ATOL, RTOL, assert_data_close, data_close, data_diff

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "autograder" / "student" / "fixtures"


def _make_fixtures():
    script = REPO / "scripts" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_fixtures", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.solutions.load_all()  # registers the exercises, as main() does
    return mod


def _floats(tree, path=()):
    """(path, value) of every float in a JSON tree, in document order."""
    if isinstance(tree, dict):
        for k in sorted(tree):
            yield from _floats(tree[k], (*path, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _floats(v, (*path, i))
    elif isinstance(tree, float):
        yield path, tree


def _set(tree, path, value):
    for k in path[:-1]:
        tree = tree[k]
    tree[path[-1]] = value


# ------------------------------------------------------------------------------ the rule


def test_documented_tolerances():
    assert RTOL == 1e-12 and ATOL == 1e-12


def test_last_bit_differences_are_equal():
    a = 33.872400000000006
    assert data_close(a, 33.872399999999985)  # the pair seen on two CPUs
    assert data_close(a, math.nextafter(a, math.inf))
    assert data_close({"x": [1.0, 2.0]}, {"x": [1.0, math.nextafter(2.0, 0)]})
    assert data_close(1e-17, 0.0)  # zero up to round-off (atol)
    assert data_close(float("nan"), float("nan"))
    assert data_close(np.float64(0.1 + 0.2), 0.3)
    assert data_close(np.array([0.1 + 0.2, 1.0]), [0.3, 1.0])


@pytest.mark.parametrize(
    "got, want",
    [
        (1.0 + 1e-6, 1.0),
        (33.8724 * (1 + 1e-9), 33.8724),
        (1e-9, 0.0),
        (float("inf"), 1e308),
        (float("nan"), 0.0),
        (1, 1.0),  # int vs float: structure
        (True, 1),  # bool vs int
        ("nan", float("nan")),
        ({"a": 1.0}, {"a": 1.0, "b": 2.0}),
        ([1.0, 2.0], [1.0]),
        ({"dtype": "float64"}, {"dtype": "float32"}),
        ({"shape": [2, 3]}, {"shape": [3, 2]}),
    ],
)
def test_real_differences_are_reported(got, want):
    diff = data_diff(got, want)
    assert diff and not data_close(got, want), (got, want)
    with pytest.raises(AssertionError, match="beyond tolerance"):
        assert_data_close(got, want)


def test_diff_names_the_path():
    (line,) = data_diff({"e": [{"w": [0.5, 2.0]}]}, {"e": [{"w": [0.5, 2.000002]}]})
    assert line.startswith("$.e[0].w[1]: 2.0 != 2.000002"), line


def test_diff_output_is_capped():
    diff = data_diff(list(range(100)), list(range(1, 101)))
    assert len(diff) == 21 and diff[-1] == "... and 80 more differences"


# ------------------------------------------------------------------------------ the fixtures


@pytest.fixture(scope="module")
def make_fixtures():
    return _make_fixtures()


@pytest.fixture(scope="module")
def rendered(make_fixtures):
    """Freshly rendered l01 fixture text (what --check compares the committed file with)."""
    return make_fixtures.render(make_fixtures.fixture_for("l01"))


def _copy_fixtures(tmp_path: Path) -> Path:
    dst = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, dst)
    return dst


def _rewrite(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def test_committed_fixture_agrees_with_regenerated(make_fixtures, rendered):
    assert make_fixtures.fixture_diff(FIXTURES / "l01.json", rendered) == []


def test_every_float_one_ulp_off_is_still_up_to_date(make_fixtures, rendered, tmp_path):
    path = _copy_fixtures(tmp_path) / "l01.json"

    def nudge(data):
        for p, v in list(_floats(data)):
            _set(data, p, math.nextafter(v, math.inf))

    _rewrite(path, nudge)
    assert path.read_text() != (FIXTURES / "l01.json").read_text()  # bytes differ ...
    assert make_fixtures.fixture_diff(path, rendered) == []  # ... the data do not


def test_a_value_changed_by_1e6_is_out_of_date(make_fixtures, rendered, tmp_path):
    path = _copy_fixtures(tmp_path) / "l01.json"
    where = {}

    def bump(data):
        p, v = next(pv for pv in _floats(data) if pv[0][0] == "exercises" and "expected" in pv[0])
        where["path"] = p
        _set(data, p, v + 1e-6)

    _rewrite(path, bump)
    diff = make_fixtures.fixture_diff(path, rendered)
    assert len(diff) == 1 and str(where["path"][-1]) in diff[0], diff


def test_a_changed_dtype_is_out_of_date(make_fixtures, rendered, tmp_path):
    path = _copy_fixtures(tmp_path) / "l01.json"

    def retype(data):
        ex = next(iter(data["exercises"].values()))
        ex["cases"][0][next(iter(ex["cases"][0]))]["dtype"] = "float32"

    _rewrite(path, retype)
    assert any("float32" in line for line in make_fixtures.fixture_diff(path, rendered))


def test_check_exit_codes(make_fixtures, tmp_path, capsys):
    folder = _copy_fixtures(tmp_path)
    assert make_fixtures.main(["--check", "--fixtures", str(folder)]) == 0

    def nudge_one(data):
        p, v = next(iter(_floats(data)))
        _set(data, p, math.nextafter(v, -math.inf))

    _rewrite(folder / "l02.json", nudge_one)
    assert make_fixtures.main(["--check", "--fixtures", str(folder)]) == 0
    before = (folder / "l02.json").read_text()
    assert make_fixtures.main(["--fixtures", str(folder)]) == 0  # a write run keeps it as is
    assert (folder / "l02.json").read_text() == before

    def bump_one(data):
        p, v = next(iter(_floats(data)))
        _set(data, p, v * (1 + 1e-6) + 1e-6)

    _rewrite(folder / "l02.json", bump_one)
    assert make_fixtures.main(["--check", "--fixtures", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "out of date" in err and "l02.json" in err


def test_generated_tolerance_follows_the_grading_tolerance():
    from autograder.tolerance import generated_tolerance

    assert generated_tolerance(1e-6, 1e-9) == (1e-10, 1e-12)  # 1e-4 of what grading sees
    assert generated_tolerance(1e-14, 1e-14) == (RTOL, ATOL)  # never tighter than the floor


def test_numerical_gradient_round_off_is_not_staleness(make_fixtures, tmp_path):
    """CI failed on another CPU: l06's central differences (h = 1e-5) moved by rel 1.3e-11."""
    rendered06 = make_fixtures.render(make_fixtures.fixture_for("l06"))
    path = _copy_fixtures(tmp_path) / "l06.json"
    path.write_text(rendered06, encoding="utf-8")
    where = {}

    def drift(rel):
        def change(data):
            ex = data["exercises"]["l06_numerical"]
            p, v = next(pv for pv in _floats(ex["expected"]) if pv[1] != 0.0)
            where["path"] = p
            _set(ex["expected"], p, v * (1 + rel))

        return change

    _rewrite(path, drift(1.3e-11))  # the CI failure's size
    assert make_fixtures.fixture_diff(path, rendered06) == []
    path.write_text(rendered06, encoding="utf-8")
    _rewrite(path, drift(1e-8))  # still far below grading's 1e-6, but no CPU explains it
    diff = make_fixtures.fixture_diff(path, rendered06)
    assert len(diff) == 1 and "l06_numerical" in diff[0], diff


def test_a_missing_exercise_is_out_of_date(make_fixtures, rendered, tmp_path):
    path = _copy_fixtures(tmp_path) / "l01.json"
    _rewrite(path, lambda data: data["exercises"].pop(sorted(data["exercises"])[0]))
    assert make_fixtures.fixture_diff(path, rendered)


def test_notebook_nodes_and_tuples_compare_as_their_json():
    import nbformat

    cell = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"points": 2.0}})
    assert data_close([(cell.cell_type, cell.metadata)], [["code", {"nbgrader": {"points": 2.0}}]])
    assert not data_close(cell.metadata, {"nbgrader": {"points": 2}})
