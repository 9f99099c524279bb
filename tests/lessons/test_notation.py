"""One notation for the whole course (lesson 01's table, the README): the exercises return their
values under the course's names, and a forward pass returns the pre-activation before the
activation, in every lesson."""

from __future__ import annotations

import pytest

from autograder.student import lessons
from autograder.student.spec import EXERCISES as REGISTRY

# Names the course no longer uses (each seed's own name for a course quantity: the lesson
# translates them once, and never returns them).
RETIRED = {"uh", "u_h", "O", "Y_hat", "Y_cap", "Eh", "Eo", "G1", "G2", "net", "delta"}

# (pre-activation, its activation) in the names of the table.
PAIRS = (("z", "a"), ("Z", "H"), ("zh", "h"), ("Zh", "H"), ("zo", "yhat"), ("Zo", "Yhat"))

lessons.load_all()
EXERCISES = sorted(REGISTRY.values(), key=lambda ex: ex.id)


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
