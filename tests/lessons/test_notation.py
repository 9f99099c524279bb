"""One notation for the whole course (lesson 01's table, the README): the exercises return their
values under the course's names, and a forward pass returns the pre-activation before the
activation, in every lesson."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from autograder.parsing import parse_python
from autograder.student import lessons
from autograder.student.spec import EXERCISES as REGISTRY

# Names the course no longer uses (each seed's own name for a course quantity: the lesson
# translates them once, and never returns them).
RETIRED = {"uh", "u_h", "O", "Y_hat", "Y_cap", "Eh", "Eo", "G1", "G2", "net", "delta"}

# (pre-activation, its activation) in the names of the table.
PAIRS = (("z", "a"), ("Z", "H"), ("zh", "h"), ("Zh", "H"), ("zo", "yhat"), ("Zo", "Yhat"))

lessons.load_all()
EXERCISES = sorted(REGISTRY.values(), key=lambda ex: ex.id)
LESSON_FILES = sorted((Path(__file__).resolve().parents[2] / "source").glob("*/*.ipynb"))


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.id)
def test_components_use_the_course_names(ex):
    assert not RETIRED & set(ex.components), (ex.id, RETIRED & set(ex.components))


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda ex: ex.id)
def test_a_forward_pass_returns_the_pre_activation_first(ex):
    order = list(ex.components)
    for pre, act in PAIRS:
        if pre in order and act in order:
            assert order.index(pre) < order.index(act), (ex.id, order)


def test_every_lesson_has_a_forward_exercise_checked_here():
    """The order test above is not vacuous: it meets a (pre-activation, activation) pair in the
    forward exercises of lessons 01 to 04."""
    seen = {
        ex.lesson[:2]
        for ex in EXERCISES
        if any(pre in ex.components and act in ex.components for pre, act in PAIRS)
    }
    assert {"01", "02", "03", "04"} <= seen, seen


def _names_in_code_cells(path: Path) -> dict[str, set[str]]:
    """{cell id: the identifiers a code cell binds or reads} (its AST names and parameters)."""
    found = {}
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = parse_python(cell.source)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
        found[cell.get("id", "?")] = names
    return found


@pytest.mark.parametrize("path", LESSON_FILES, ids=lambda p: p.parent.name)
def test_the_lessons_own_code_uses_the_course_names(path):
    """The seeds' names (Eh, G1, uh, Y_cap, O, net, ...) survive only inside quoted seed code in
    markdown, never in a code cell the lesson runs."""
    bad = {cid: sorted(names & RETIRED) for cid, names in _names_in_code_cells(path).items()}
    assert not {cid: n for cid, n in bad.items() if n}
