"""Compare generated data (fixtures, notebooks, grades) with a documented tolerance.

Why: floating-point results are not reproducible bit for bit across machines. numpy's SIMD
kernels (sums, dot products, BLAS) pick their summation order by CPU, so the same script gives
``33.872400000000006`` on one machine and ``33.872399999999985`` on another. Anything generated
and committed (``autograder/student/fixtures/*.json``), or produced by two runs (parallel vs
serial grades, SQLite vs PostgreSQL), is therefore compared with :func:`data_diff`, never with
``==`` on the text.

The rule, applied recursively to JSON-like trees (dict, list/tuple, str, int, float, bool, None,
numpy scalars/arrays):

* **Structure exactly**: the same types (an int is not a float, a bool is not an int), the same
  dict keys, the same list lengths, equal strings, ints, bools and None. In the serialized
  payloads of ``autograder.student.serialize`` this makes ``kind``, ``dtype`` and ``shape`` exact,
  and the strings ``"nan"``/``"inf"``/``"-inf"`` exact too.
* **Floats within tolerance**: ``|a - b| <= atol + rtol * max(|a|, |b|)`` with
  ``rtol = 1e-12`` (about 4500 ulps of float64: a different summation order of a few hundred
  terms stays well inside; a real change of the data, 1e-9 relative or more, does not) and
  ``atol = 1e-12`` (for values that are zero up to round-off, e.g. ``1e-17`` against ``0.0``).
  NaN equals NaN; infinities must match exactly.

Used by scripts/make_fixtures.py (``--check``, and to leave a fixture untouched when only the
last bits differ), tests/test_checks_fixtures.py and the grading tests that compare two runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

RTOL = 1e-12
ATOL = 1e-12
MAX_REPORTED = 20


def _is_float(x: Any) -> bool:
    return isinstance(x, float)


def _plain(x: Any) -> Any:
    """numpy scalars/arrays -> Python objects (so that the rule above applies to them too)."""
    tolist = getattr(x, "tolist", None)
    if tolist is not None and type(x).__module__ == "numpy":
        return tolist()
    return x


def _kind(x: Any) -> Any:
    """Mappings -> dict, tuples and list subclasses -> list (e.g. nbformat's NotebookNode)."""
    if isinstance(x, Mapping) and type(x) is not dict:
        return dict(x)
    if isinstance(x, (list, tuple)) and type(x) is not list:
        return list(x)
    return x


def floats_close(a: float, b: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """The float rule of this module (NaN == NaN; infinities exactly)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def data_diff(
    got: Any, want: Any, rtol: float = RTOL, atol: float = ATOL, path: str = "$"
) -> list[str]:
    """Differences between two JSON-like trees, one line each (``[]`` when they agree).

    Each line names the JSON path of the difference, e.g.
    ``$.exercises.l01_train.expected[0].w.data[2]: 0.80271349 != 0.80271449 (rel 1.2e-06)``.
    At most MAX_REPORTED lines are returned (the last one says how many more there were).
    """
    out: list[str] = []
    _diff(_plain(got), _plain(want), rtol, atol, path, out)
    if len(out) > MAX_REPORTED:
        extra = len(out) - MAX_REPORTED
        out = out[:MAX_REPORTED] + [f"... and {extra} more differences"]
    return out


def _diff(a: Any, b: Any, rtol: float, atol: float, path: str, out: list[str]) -> None:
    a, b = _kind(_plain(a)), _kind(_plain(b))
    ta, tb = type(a), type(b)
    if ta is not tb:
        out.append(f"{path}: type {ta.__name__} != {tb.__name__} ({a!r:.60} vs {b!r:.60})")
        return
    if ta is dict:
        ka, kb = set(a), set(b)
        if ka != kb:
            out.append(
                f"{path}: keys differ: only in first {sorted(map(str, ka - kb))}, "
                f"only in second {sorted(map(str, kb - ka))}"
            )
        for k in sorted(ka & kb, key=str):
            _diff(a[k], b[k], rtol, atol, f"{path}.{k}", out)
    elif ta is list:
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} != {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, rtol, atol, f"{path}[{i}]", out)
    elif _is_float(a):
        if not floats_close(a, b, rtol, atol):
            scale = max(abs(a), abs(b))
            rel = abs(a - b) / scale if scale and math.isfinite(scale) else float("nan")
            out.append(f"{path}: {a!r} != {b!r} (rel {rel:.1e}; rtol {rtol:g}, atol {atol:g})")
    elif a != b:
        out.append(f"{path}: {a!r:.80} != {b!r:.80}")


def data_close(got: Any, want: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when :func:`data_diff` finds nothing."""
    return not data_diff(got, want, rtol, atol)


def assert_data_close(got: Any, want: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    """AssertionError listing the differences (for tests)."""
    diff = data_diff(got, want, rtol, atol)
    if diff:
        raise AssertionError("generated data differ beyond tolerance:\n  " + "\n  ".join(diff))


# A generated value (a fixture) is up to date when it agrees with a fresh computation far more
# closely than grading can see: within 1/10,000 of its exercise's own grading tolerance, never
# tighter than RTOL/ATOL. Round-off is not always a few ulps: a central difference divides it by
# 2h, so lesson 06's numerical gradients (h = 1e-5) differ in the 11th digit between CPUs
# (1.6821745041362133 vs 1.6821745041140088, rel 1.3e-11, measured), which RTOL would call stale.
GENERATED_MARGIN = 1e-4


def generated_tolerance(grading_rtol: float, grading_atol: float) -> tuple[float, float]:
    """(rtol, atol) for comparing regenerated data of an exercise graded with these tolerances."""
    return max(RTOL, grading_rtol * GENERATED_MARGIN), max(ATOL, grading_atol * GENERATED_MARGIN)


__all__ = [
    "RTOL",
    "ATOL",
    "GENERATED_MARGIN",
    "floats_close",
    "data_diff",
    "data_close",
    "assert_data_close",
    "generated_tolerance",
]
