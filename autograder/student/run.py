"""Running student functions on cases: guarded, silenced, inputs copied and watched."""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograder.student.serialize import encode
from autograder.student.spec import Case, Exercise, copy_case, describe_exception, guard


def bind(ex: Exercise, fns: Sequence[Any]) -> dict[str, Callable[..., Any]]:
    """Name the student functions as the exercise does; a clear error when they do not fit."""
    names = ", ".join(ex.functions)
    if len(fns) != len(ex.functions):
        raise TypeError(f"{ex.id} needs {len(ex.functions)} function(s) ({names}), got {len(fns)}")
    for name, fn in zip(ex.functions, fns, strict=True):
        if not callable(fn):
            raise TypeError(f"{ex.id}: `{name}` is a {type(fn).__name__}, not a function")
    return {name: guard(fn) for name, fn in zip(ex.functions, fns, strict=True)}


def _same(a: Any, b: Any) -> bool:
    """Whether an input is still what it was. Not bit for bit: `W[i] += h ... W[i] -= h` (a
    restored entry, allowed by the lessons) may leave an error of one rounding, ~1e-16 * |W|."""
    try:
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            a, b = np.asarray(a), np.asarray(b)
            if a.shape != b.shape or a.dtype != b.dtype:
                return False
            if a.dtype.kind not in "fc":
                return bool(np.array_equal(a, b))
            return bool(np.allclose(a, b, rtol=1e-12, atol=1e-14, equal_nan=True))
        return type(a) is type(b) and (a == b or (a != a and b != b))
    except Exception:
        return False


def run_cases(
    ex: Exercise, fns: dict[str, Callable[..., Any]], cases: Sequence[Case]
) -> tuple[list[dict[str, dict]], list[list[str]], int]:
    """Run the exercise's call on copies of every case.

    Returns (outputs: per case {component: payload}, mutated: per case the names of inputs the
    student changed in place, printed: number of characters the student code printed).
    """
    outputs, mutated = [], []
    sink = io.StringIO()
    with (
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore")
        for case in cases:
            mine = copy_case(case)
            try:
                out = ex.call(fns, mine)
                if not isinstance(out, dict):
                    raise TypeError(f"the exercise's call returned {type(out).__name__}")
                payloads = {comp: encode(out.get(comp)) for comp in ex.components}
            except Exception as exc:  # e.g. the call unpacks a student's odd result
                err = describe_exception(exc)
                payloads = {comp: encode(err) for comp in ex.components}
            outputs.append(payloads)
            mutated.append([k for k in case if not _same(case[k], mine.get(k))])
    return outputs, mutated, len(sink.getvalue())
