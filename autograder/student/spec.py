"""Exercise specifications: what a checked exercise is, and the registry of all of them.

HOW TO WRITE A LESSON'S EXERCISES (copy `lessons/l01_single_neuron.py`)
=====================================================================

Student side, `autograder/student/lessons/lNN_<name>.py` (numpy only, NEVER imports course/)::

    import numpy as np
    from autograder.student.spec import Exercise, register, unpack, away_from_zero

    def _cases(rng):                     # 3-6 fresh float64 cases, incl. a batch of 1 and
        ...                              # non-square shapes; returns list[dict[str, input]]
        return [{"x": x, "w": w, "b": b}, ...]

    def _call(fns, case):                # run the student's function(s) on ONE case
        z, a = unpack(fns["neuron_forward"](case["x"], case["w"], case["b"]), "z", "a")
        return {"z": z, "a": a}          # one entry per component

    register(Exercise(
        id="l01_neuron_forward",         # == grade_id of the notebook's test cell
        lesson="01_single_neuron", section="1.3",
        functions=("neuron_forward",),   # check("l01_neuron_forward", neuron_forward)
        components={"z": 0.5, "a": 0.5}, # weights sum to 1
        partial=False,                   # all-or-nothing unless the contract says [partial]
        make_cases=_cases, call=_call,
        worked_examples=lambda: [...],   # optional: fixed cases for check() (seed values)
    ))

* The case dict is deep-copied before every call; the student's function gets plain float64
  numpy arrays / python floats / ints. Convert to torch inside `_call` when the exercise wants
  tensors (import torch inside the function, never at module level).
* `unpack(result, "z", "a")` checks that a function returned exactly that many values and
  otherwise turns it into a per-component error that the student understands. If a function
  raised, `fns[...]` returns a `Raised` marker instead; `unpack` spreads it over the components.
* Several functions in one exercise: call each one separately so an error in one does not cost
  the other its component, e.g. ``{"relu": fns["relu"](z), "relu_derivative":
  fns["relu_derivative"](z)}``.
* Keep every ReLU pre-activation away from 0 (`away_from_zero`), unless the case exists to test
  the convention at 0 (then put exact zeros in on purpose, and say so).

Grader side, `autograder/grading/solutions/lNN_<name>.py` (imports course/)::

    from autograder.grading.solutions import expected, variant
    from autograder.grading.scoring.misconceptions import define  # lesson-specific entries
    from course import layers

    @expected("l01_neuron_forward")
    def _(case):                         # the reference output, same components
        a, cache = layers.neuron_forward(case["x"], case["w"], case["b"])
        return {"z": ..., "a": a}

    @variant("l01_neuron_forward", "derivative_as_activation")   # catalogue id
    def _(case):
        return {"z": ..., "a": ...}      # what a student with that misconception returns

Then `python scripts/make_fixtures.py` (regenerates autograder/student/fixtures/lNN.json),
and in the notebook's locked test cell (grade_id == exercise id)::

    check("l01_neuron_forward", neuron_forward)
    ### BEGIN HIDDEN TESTS
    record("l01_neuron_forward", neuron_forward)
    ### END HIDDEN TESTS

Wrong answers for the integrity test: `tests/wrong_answers/lNN.py` (see l01.py there).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Case = dict[str, Any]
Outputs = dict[str, Any]

RTOL = 1e-6
ATOL = 1e-9


@dataclass(frozen=True)
class Exercise:
    """One auto-graded exercise (one nbgrader test cell).

    id: the test cell's grade_id, e.g. "l01_relu" (its first 3 characters name the lesson file).
    lesson: assignment id, e.g. "01_single_neuron"; section: where it is taught, e.g. "1.2".
    functions: names of the student functions, in the order check()/record() receive them.
    components: output name -> weight (sum 1). A component is right when it is right on EVERY case.
    partial: False = all-or-nothing (points only when every component is right).
    make_cases(rng): fresh random cases (list of dicts of inputs) for grading.
    call(fns, case): runs the student functions (dict name -> guarded callable) on one case and
        returns {component: output}.
    worked_examples(): fixed cases for the visible check (default: make_cases with a fixed seed).
    kinds: optional component -> required output kind ("tensor" for torch exercises).
    may_change: names of inputs the function may modify (default none: a changed input is the
        named mistake `mutates_input` and costs the exercise's points).
    rtol, atol: tolerance of np.allclose in float64.
    """

    id: str
    lesson: str
    section: str
    functions: tuple[str, ...]
    components: Mapping[str, float]
    make_cases: Callable[[np.random.Generator], list[Case]]
    call: Callable[[Mapping[str, Callable[..., Any]], Case], Outputs]
    partial: bool = True
    worked_examples: Callable[[], list[Case]] | None = None
    kinds: Mapping[str, str] = field(default_factory=dict)
    rtol: float = RTOL
    atol: float = ATOL
    title: str = ""
    # inputs the function may change in place; any other input changed costs the exercise
    may_change: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.id or not self.id[:3].startswith("l") or not self.id[1:3].isdigit():
            raise ValueError(f"exercise id {self.id!r} must start with lNN (e.g. 'l01_relu')")
        total = sum(self.components.values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"{self.id}: component weights sum to {total}, not 1")
        if not self.functions:
            raise ValueError(f"{self.id}: no student functions named")

    @property
    def prefix(self) -> str:
        """'l01' for 'l01_relu': the fixture file and lesson module prefix."""
        return self.id[:3]

    def cases_for_seed(self, seed: int, student_key: str = "") -> list[Case]:
        """The grading cases for a grading seed and a student's key (the same in the kernel
        and in the grader); no key: the cases every student shares."""
        return self.make_cases(np.random.default_rng(case_seed(seed, self.id, student_key)))


EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (re-registering the same id replaces it: reloads)."""
    EXERCISES[exercise.id] = exercise
    return exercise


def get_exercise(ex_id: str) -> Exercise:
    """The registered exercise `ex_id`, importing its lesson module on first use.

    Raises KeyError with a one-line message when there is no such exercise.
    """
    if ex_id not in EXERCISES:
        from autograder.student import lessons

        lessons.load_prefix(str(ex_id)[:3])
    if ex_id not in EXERCISES:
        raise KeyError(f"no exercise {ex_id!r} is registered")
    return EXERCISES[ex_id]


def case_seed(seed: int, ex_id: str, student_key: str = "") -> list[int]:
    """Seed material for np.random.default_rng: the grading seed mixed with the exercise id
    and, when given, the student's key (hex).

    Without a key: crc32 (not hash()) so that every process, kernel or grader, derives the same
    cases. With a key: HMAC-SHA256(key, exercise id, grading seed), so each student's cases
    differ and only the holder of the key (the student, or the grader who holds the course
    secret) can compute them. The exercise's cases are drawn from this one generator in
    order, so case k is fixed by (course secret, student, exercise, k).
    """
    if not student_key:
        return [int(seed) & 0xFFFFFFFF, zlib.crc32(ex_id.encode("utf-8"))]
    msg = f"cases\0{ex_id}\0{int(seed)}".encode()
    digest = hmac.new(bytes.fromhex(student_key), msg, hashlib.sha256).digest()
    return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 32, 4)]


def copy_case(case: Case) -> Case:
    """A deep copy: students get their own arrays, mutations never leak into the next call."""
    return copy.deepcopy(case)


# ---------------------------------------------------------------------------------------------
# Calling student code


class Raised:
    """Marker for "the student's function raised": carries "ExcType: message" only."""

    __slots__ = ("type", "message")

    def __init__(self, type_name: str, message: str) -> None:
        self.type = type_name
        self.message = message

    def __repr__(self) -> str:
        return f"Raised({self.type}: {self.message})"


def describe_exception(exc: BaseException) -> Raised:
    """'ValueError', 'The truth value ...' (message shortened, never a traceback)."""
    try:
        msg = str(exc)
    except Exception:  # a student's exception whose __str__ fails
        msg = "<unprintable message>"
    msg = " ".join(msg.split())
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return Raised(type(exc).__name__, msg)


def guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a student function: exceptions come back as a `Raised` marker instead."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: B036 - any student failure is a recorded answer
            return describe_exception(exc)

    return guarded


def unpack(result: Any, *names: str) -> tuple[Any, ...]:
    """Split a function's returned tuple into len(names) components, checking the count.

    A `Raised` marker is repeated for every component; a wrong count or a non-tuple result
    becomes a `Raised("WrongReturn", ...)` that names what was expected.
    """
    if isinstance(result, Raised):
        return (result,) * len(names)
    expected = f"{len(names)} values ({', '.join(names)})"
    if not isinstance(result, tuple | list):
        got = type(result).__name__
        err = Raised("WrongReturn", f"expected a tuple of {expected}, got a single {got}")
        return (err,) * len(names)
    if len(result) != len(names):
        err = Raised("WrongReturn", f"expected {expected}, got {len(result)} values")
        return (err,) * len(names)
    return tuple(result)


def away_from_zero(rng: np.random.Generator, shape: Any, low: float = 0.1, high: float = 2.0):
    """Random float64 values with low <= |v| <= high and random signs (no ReLU kinks)."""
    mag = rng.uniform(low, high, size=shape)
    sign = rng.choice(np.array([-1.0, 1.0]), size=shape)
    return mag * sign
