"""Grader-side solutions: the reference output of every exercise and its misconception variants.

In a lesson's solution file (autograder/grading/solutions/lNN_<name>.py, imports course/)::

    from autograder.grading.solutions import expected, variant

    @expected("l01_relu")
    def _(case):                              # case: the exercise's input dict (a private copy)
        return {"relu": ..., "relu_derivative": ...}

    @variant("l01_relu", "relu_grad_ge_zero")                 # catalogue id
    @variant("l01_relu", "derivative_as_activation", section="1.3")   # section override
    def _(case):
        return {"relu_derivative": ...}       # the components this mistake affects (or all)

`reference_outputs(exercise, cases)` computes (expected per case, variants per case, catalogue)
for compare(); variants that raise on a case are dropped for that exercise.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.grading.scoring import misconceptions
from autograder.student.compare import GENERIC_IDS, base_id
from autograder.student.spec import Exercise

SolutionFn = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Solution:
    ex_id: str
    expected: SolutionFn | None = None
    variants: dict[str, SolutionFn] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)


SOLUTIONS: dict[str, Solution] = {}


def _solution(ex_id: str) -> Solution:
    return SOLUTIONS.setdefault(ex_id, Solution(ex_id))


def expected(ex_id: str) -> Callable[[SolutionFn], SolutionFn]:
    """Decorator: the reference outputs {component: value} of exercise ex_id for one case."""

    def deco(fn: SolutionFn) -> SolutionFn:
        _solution(ex_id).expected = fn
        return fn

    return deco


def variant(ex_id: str, mid: str, section: str | None = None) -> Callable[[SolutionFn], SolutionFn]:
    """Decorator: what a student with misconception `mid` returns (some or all components)."""

    def deco(fn: SolutionFn) -> SolutionFn:
        sol = _solution(ex_id)
        sol.variants[mid] = fn
        if section:
            sol.sections[mid] = section
        return fn

    return deco


def load_prefix(prefix: str) -> bool:
    """Import the solution module of lesson 'l01'...; False when it does not exist."""
    from autograder.student.lessons import LESSONS

    module = LESSONS.get(prefix)
    if module is None:
        return False
    try:
        importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{module}":
            raise
        return False
    return True


def load_all() -> list[str]:
    """Import every lesson's exercises and solutions (PENDING lessons may be missing)."""
    from autograder.student import lessons

    loaded = []
    for prefix, module in lessons.LESSONS.items():
        has_spec = lessons.load_prefix(prefix)
        has_solution = load_prefix(prefix)
        if not (has_spec and has_solution):
            if module in lessons.PENDING:
                continue
            raise ImportError(
                f"lesson {module}: exercise spec {'found' if has_spec else 'missing'}, "
                f"solutions {'found' if has_solution else 'missing'}"
            )
        loaded.append(module)
    return loaded


def get_solution(ex_id: str) -> Solution:
    """The solution of ex_id (its lesson's module is imported on demand)."""
    if ex_id not in SOLUTIONS or SOLUTIONS[ex_id].expected is None:
        load_prefix(ex_id[:3])
    sol = SOLUTIONS.get(ex_id)
    if sol is None or sol.expected is None:
        raise KeyError(f"no reference solution registered for exercise {ex_id!r}")
    return sol


def _as_float_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def reference_outputs(
    ex: Exercise, cases: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, np.ndarray]], dict[str, list[dict[str, np.ndarray]]], dict[str, dict]]:
    """(expected per case, {mid: outputs per case}, catalogue texts) for compare()."""
    sol = get_solution(ex.id)
    exp_cases = []
    for case in cases:
        out = sol.expected(copy.deepcopy(case))
        missing = set(ex.components) - set(out)
        if missing:
            raise ValueError(f"{ex.id}: reference solution lacks components {sorted(missing)}")
        exp_cases.append({c: _as_float_array(out[c]) for c in ex.components})
    variants: dict[str, list[dict[str, np.ndarray]]] = {}
    for mid, fn in {**sol.variants, **derived_variants(sol, cases)}.items():
        misconceptions.get(base_id(mid))  # an unknown id is a bug in the solution file
        try:
            outs = [fn(copy.deepcopy(case)) for case in cases]
            variants[mid] = [
                {c: _as_float_array(v) for c, v in out.items() if c in ex.components}
                for out in outs
            ]
        except Exception:  # e.g. the seed's `if` on an array: not matchable by numbers
            continue
    return exp_cases, variants, catalogue_for(ex)


_BIAS = re.compile(r"b[a-z]?\d*")  # b, bh, bo, b1, b2: the course's names of biases


def derived_variants(sol: Solution, cases: Sequence[dict[str, Any]]) -> dict[str, SolutionFn]:
    """Mistakes possible in every exercise with such an input, derived from the reference by
    changing the input the mistake ignores (so no lesson has to write them):

    * ``forgot_bias``: every bias input (b, bh, bo, b1, ...) zeroed;
    * ``off_by_one_steps``: ``steps`` + 1 and ``steps`` - 1 updates (``off_by_one_steps:fewer``).

    A lesson's own variant of the same id wins. compare() only names a variant for a component
    it changes, so a bias that does not reach a component explains nothing about it."""
    if not cases or sol.expected is None:
        return {}
    ref, out = sol.expected, {}

    def biases(case: dict[str, Any]) -> list[str]:
        return [k for k in case if _BIAS.fullmatch(k) and _is_number_like(case[k])]

    if any(biases(c) for c in cases) and "forgot_bias" not in sol.variants:
        out["forgot_bias"] = lambda case: ref(
            {**case, **{k: np.zeros_like(np.asarray(case[k], dtype=float)) for k in biases(case)}}
        )
    if all(_is_count(c.get("steps")) for c in cases):
        if "off_by_one_steps" not in sol.variants:
            out["off_by_one_steps"] = lambda case: ref({**case, "steps": case["steps"] + 1})
        out["off_by_one_steps:fewer"] = lambda case: ref(
            {**case, "steps": max(0, case["steps"] - 1)}
        )
    return out


def _is_count(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number_like(value: Any) -> bool:
    return isinstance(value, float | int | np.ndarray) and not isinstance(value, bool)


def catalogue_for(ex: Exercise) -> dict[str, dict[str, str]]:
    """Catalogue texts for the generic ids and ex's variants, with the sections overridden."""
    sol = SOLUTIONS.get(ex.id) or Solution(ex.id)
    out = {}
    for mid in (*GENERIC_IDS, *sol.variants, "forgot_bias", "off_by_one_steps"):
        entry = misconceptions.get(mid).as_dict()
        if mid in sol.sections:
            entry["section"] = sol.sections[mid]
        out[mid] = entry
    return out
