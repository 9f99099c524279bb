"""Comparison and diagnosis engine, shared by the visible checks and the trusted grader.

compare(exercise, got_cases, expected_cases, variants, catalogue) -> Verdict

* got_cases: one dict per case, component -> payload (serialize.encode) or a plain value.
* expected_cases: one dict per case, component -> reference value (or payload).
* variants: {misconception_id: [outputs dict per case]} — what known-wrong code returns.
* catalogue: {misconception_id: {"title", "explanation", "section"}} — texts for students.

A component is right when it is right on EVERY case (float64, np.allclose rtol/atol of the
exercise, exact shape, dtype float64). Messages speak the student's language: shapes, the
(3,) vs (3,1) pitfall, transposes, dtypes, exceptions, NaN, and named misconceptions.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.student.serialize import NUMERIC_KINDS, PayloadError, decode
from autograder.student.spec import Exercise, Raised

# Misconceptions recognised without a variant (the catalogue must define these ids).
GENERIC_IDS = (
    "sign_error",
    "factor_two",
    "missing_transpose",
    "column_vs_vector",
    "broadcast_nn",
    "float32",
    "integer_dtype",
    "python_if_on_array",
    "missing_return",
    "swapped_outputs",
    "boolean_result",
    "mutates_input",
    "numpy_not_torch",
)
OK_MARK, BAD_MARK = "\u2714", "\u2718"


def base_id(mid: str) -> str:
    """The catalogue id of a variant key: one mistake may have several forms, keyed "id:form"
    ("off_by_one_steps:fewer" -> "off_by_one_steps")."""
    return mid.partition(":")[0]


@dataclass
class ComponentVerdict:
    name: str
    weight: float
    ok: bool
    message: str = ""
    misconception: str | None = None
    wrong_cases: int = 0


@dataclass
class Verdict:
    exercise: str
    components: dict[str, ComponentVerdict]
    fraction: float
    n_cases: int
    notes: list[str] = field(default_factory=list)
    tolerance: str = ""

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components.values())

    @property
    def misconceptions(self) -> list[str]:
        found = [c.misconception for c in self.components.values() if c.misconception]
        return list(dict.fromkeys(found))

    def lines(self) -> list[str]:
        """The per-component verdict, one line per component (+ indented explanations)."""
        out = []
        for comp in self.components.values():
            if comp.ok:
                out.append(f"  {OK_MARK} {comp.name}")
            else:
                first, *rest = comp.message.split("\n")
                out.append(f"  {BAD_MARK} {comp.name}: {first}")
                # Explanations are prose: wrap them so feedback HTML (a <pre>) needs no scrolling.
                for line in rest:
                    out.extend(
                        textwrap.wrap(
                            line, 96, initial_indent="      ", subsequent_indent="        "
                        )
                    )
        out.extend(f"  note: {n}" for n in self.notes)
        return out


# ---------------------------------------------------------------------------------------------
# Values


class _Unsupported:
    def __init__(self, type_name: str) -> None:
        self.type = type_name


class _Invalid:
    def __init__(self, why: str) -> None:
        self.why = why


def _normalise(value: Any) -> tuple[Any, str]:
    """-> (ndarray | Raised | _Unsupported | _Invalid, kind)."""
    if isinstance(value, Raised):
        return value, "error"
    if isinstance(value, dict):
        try:
            dec = decode(value)
        except PayloadError as err:
            return _Invalid(str(err)), "invalid"
        if isinstance(dec, dict):
            return _Unsupported(dec["type"]), "unsupported"
        if isinstance(dec, Raised):
            return dec, "error"
        return dec, value["kind"]
    try:
        return np.asarray(value), "ndarray"
    except Exception:  # only trusted values arrive here (expected / variants)
        return _Unsupported(type(value).__name__), "unsupported"


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return (
        "()"
        if shape == ()
        else "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    )


def _describe_expected(exp: np.ndarray) -> str:
    if exp.shape == ():
        return "a float"
    return f"a float64 array of shape {_fmt_shape(exp.shape)}"


def _fmt_num(v: float) -> str:
    return f"{v:.6g}"


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float, equal_nan=False) -> bool:
    if a.shape != b.shape:
        return False
    with np.errstate(all="ignore"):
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        return bool(np.allclose(a64, b64, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _matches_loosely(got: np.ndarray, ref: np.ndarray, rtol: float, atol: float) -> bool:
    """Same numbers (same size, raveled) — for matching variants whose shape is the mistake.
    NaN matches NaN here: a variant may reproduce a mistake whose symptom is NaN (overflow)."""
    if got.size != ref.size:
        return False
    return _close(got.ravel(), ref.ravel(), rtol, atol, equal_nan=True) and (
        got.shape == ref.shape or got.squeeze().shape == ref.squeeze().shape
    )


# ---------------------------------------------------------------------------------------------
# One component on one case


@dataclass
class _CaseResult:
    ok: bool
    message: str = ""
    generic: str | None = None


_ERROR_PATTERNS = (
    ("truth value of an array", "python_if_on_array"),
    ("Cannot cast ufunc", "integer_dtype"),
    ("only supported for floating point", "integer_dtype"),
    ("NoneType", "missing_return"),
    # a matrix product whose inner sizes disagree: in backprop almost always a transpose missing
    # (or one too many); numpy's @, np.dot and torch's messages
    ("has a mismatch in its core dimension", "missing_transpose"),
    ("not aligned", "missing_transpose"),
    ("shapes cannot be multiplied", "missing_transpose"),
    ("expected scalar type Double but found Float", "float32"),
    ("found dtype Float but expected Double", "float32"),
    ("Integers to negative integer powers", "integer_dtype"),
    ("this exercise asks for torch tensors", "numpy_not_torch"),
)


def _diagnose(got: Any, kind: str, exp: np.ndarray, ex: Exercise, comp: str) -> _CaseResult:
    if isinstance(got, Raised):
        if got.type == "NotImplementedError":
            return _CaseResult(False, "not written yet (raises NotImplementedError)")
        generic = next((g for pat, g in _ERROR_PATTERNS if pat in got.message), None)
        if got.type == "WrongReturn":
            return _CaseResult(False, got.message, generic)
        return _CaseResult(False, f"raised {got.type}: {got.message}", generic)
    if isinstance(got, _Invalid):
        return _CaseResult(False, f"recorded output is not valid ({got.why})")
    if isinstance(got, _Unsupported):
        if got.type == "NoneType":
            return _CaseResult(
                False,
                f"returned None, expected {_describe_expected(exp)} (missing return?)",
                "missing_return",
            )
        return _CaseResult(False, f"returned a {got.type}, expected {_describe_expected(exp)}")
    want_kind = ex.kinds.get(comp)
    if want_kind == "tensor" and kind != "tensor":
        return _CaseResult(False, "expected a torch tensor (this exercise is about torch)")

    # shape (exact)
    if got.shape != exp.shape:
        return _shape_result(got, exp, ex)

    if exp.size and not np.all(np.isfinite(got.astype(np.float64))) and np.all(np.isfinite(exp)):
        bad = int(np.sum(~np.isfinite(got.astype(np.float64))))
        what = "NaN" if np.isnan(got.astype(np.float64)).any() else "inf"
        return _CaseResult(False, f"contains {what} ({bad} of {got.size} entries)")

    rtol, atol = ex.rtol, ex.atol
    dtype = got.dtype.name
    if _close(got, exp, rtol, atol):
        if dtype == "float64":
            return _CaseResult(True)
        if dtype in ("float32", "float16"):
            return _CaseResult(
                False, f"right values but dtype {dtype}: compute and return float64", "float32"
            )
        return _CaseResult(
            False,
            f"right values but dtype {dtype}: return float64 (e.g. .astype(float))",
            "integer_dtype" if dtype != "bool" else "boolean_result",
        )
    if dtype in ("float32", "float16") and _close(got, exp, 1e-3, 1e-6):
        return _CaseResult(
            False,
            f"{dtype} precision: values agree only to ~1e-5; compute in float64",
            "float32",
        )
    return _value_result(got, exp, ex)


def _shape_result(got: np.ndarray, exp: np.ndarray, ex: Exercise) -> _CaseResult:
    es, gs = _fmt_shape(exp.shape), _fmt_shape(got.shape)
    base = f"wrong shape: expected {es}, got {gs}"
    rtol, atol = ex.rtol, ex.atol
    if got.ndim == 2 and exp.ndim == 2 and got.shape == exp.shape[::-1]:
        if _close(got.T, exp, rtol, atol):
            return _CaseResult(
                False,
                f"{base}: your values are the transpose (missing transpose)",
                "missing_transpose",
            )
        return _CaseResult(False, f"{base} (a transposed layout?)", None)
    if exp.shape == () and got.size == 1:
        same = _close(got.reshape(()), exp, rtol, atol)
        tail = " (the value is right)" if same else ""
        return _CaseResult(
            False, f"{base}: expected a single number, not an array; use float(...){tail}"
        )
    if got.shape == () and exp.size == 1:
        return _CaseResult(
            False, f"{base}: expected an array, got a single number (an array in, an array out)"
        )
    if got.size == exp.size and got.squeeze().shape == exp.squeeze().shape:
        same = _close(got.reshape(exp.shape), exp, rtol, atol)
        tail = " (the numbers are right)" if same else ""
        return _CaseResult(
            False,
            f"{base}{tail}: a column (n, 1) and a vector (n,) are different shapes; "
            "mixing them broadcasts (n, 1) - (n,) to (n, n). Use reshape or .ravel()",
            "column_vs_vector",
        )
    n = max(exp.shape) if exp.shape else 0
    if got.shape == (n, n) and exp.size == n and exp.squeeze().ndim == 1:
        return _CaseResult(
            False,
            f"{base}: an (n, 1) array combined with an (n,) array broadcasts to (n, n)",
            "broadcast_nn",
        )
    return _CaseResult(False, base)


def _value_result(got: np.ndarray, exp: np.ndarray, ex: Exercise) -> _CaseResult:
    g = got.astype(np.float64)
    rtol, atol = ex.rtol, ex.atol
    diff = np.abs(g - exp)
    idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    where = "" if exp.shape == () else f" at index {tuple(int(i) for i in idx)}"
    detail = (
        f"wrong values: expected {_fmt_num(float(exp[idx]))}, got {_fmt_num(float(g[idx]))}"
        f"{where} (max |difference| {diff.max():.3g})"
        if diff.size
        else "wrong values"
    )
    nonzero = bool(np.any(np.abs(exp) > atol))
    generic = None
    if nonzero:
        if _close(g, -exp, rtol, atol):
            detail, generic = "wrong sign: every value has the opposite sign", "sign_error"
        elif _close(g, 2 * exp, rtol, atol):
            detail, generic = "every value is 2x too large (factor 2)", "factor_two"
        elif _close(g, 0.5 * exp, rtol, atol):
            detail, generic = (
                "every value is half the expected one (factor 2 missing)",
                "factor_two",
            )
        elif g.ndim == 2 and g.shape[0] == g.shape[1] and _close(g.T, exp, rtol, atol):
            detail, generic = (
                "your values are the transpose (missing transpose)",
                "missing_transpose",
            )
        elif not np.any(g):
            detail += "; your answer is all zeros"
    return _CaseResult(False, detail, generic)


# ---------------------------------------------------------------------------------------------


def _explain(mid: str, catalogue: Mapping[str, Mapping[str, str]] | None, ex: Exercise) -> str:
    entry = (catalogue or {}).get(mid)
    if not entry:
        return f"looks like the known mistake '{mid}' (see \u00a7{ex.section})"
    section = entry.get("section") or ex.section
    return (
        f"looks like: {entry.get('title', mid)}. {entry.get('explanation', '')}".rstrip()
        + f" (see \u00a7{section})"
    )


def compare(
    exercise: Exercise,
    got_cases: Sequence[Mapping[str, Any]],
    expected_cases: Sequence[Mapping[str, Any]],
    variants: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    catalogue: Mapping[str, Mapping[str, str]] | None = None,
    mutated: Sequence[Sequence[str]] | None = None,
) -> Verdict:
    """Compare a student's outputs with the reference, case by case, component by component."""
    ex = exercise
    n = len(expected_cases)
    variants = variants or {}
    comps: dict[str, ComponentVerdict] = {}
    per_comp: dict[str, tuple[list[_CaseResult], list[tuple[Any, str]]]] = {}
    exps: dict[str, list[np.ndarray]] = {}
    for comp in ex.components:
        results: list[_CaseResult] = []
        gots: list[tuple[Any, str]] = []
        exps[comp] = []
        for i in range(n):
            exp, _ = _normalise(expected_cases[i][comp])
            exp = np.asarray(exp, dtype=np.float64)
            exps[comp].append(exp)
            got_case = got_cases[i] if i < len(got_cases) else {}
            if not isinstance(got_case, Mapping) or comp not in got_case:
                got, kind = _Invalid("no output recorded for this component"), "invalid"
            else:
                got, kind = _normalise(got_case[comp])
            gots.append((got, kind))
            results.append(_diagnose(got, kind, exp, ex, comp))
        per_comp[comp] = (results, gots)
    wrong_comps = [c for c, (res, _) in per_comp.items() if not all(r.ok for r in res)]
    # variant id -> the wrong components it explains (it must change that component, and the
    # student's values must be its values); the variant explaining most wins
    explains = {
        mid: [
            c
            for c in wrong_comps
            if _variant_matches(c, per_comp[c][1], outs, ex, n)
            and _variant_changes(c, exps[c], outs, ex)
        ]
        for mid, outs in variants.items()
    }
    # generic: two wrong components, each holding the other's expected values (outputs swapped)
    swapped = {
        c
        for c in wrong_comps
        for o in wrong_comps
        if o != c
        and _holds_other(per_comp[c][1], exps[c], exps[o], ex)
        and _holds_other(per_comp[o][1], exps[o], exps[c], ex)
    }
    for comp, weight in ex.components.items():
        results, gots = per_comp[comp]
        wrong = [i for i, r in enumerate(results) if not r.ok]
        if not wrong:
            comps[comp] = ComponentVerdict(comp, weight, True)
            continue
        candidates = [m for m, cs in explains.items() if comp in cs]
        mid = max(candidates, key=lambda m: len(explains[m])) if candidates else None
        if mid is None and comp in swapped:
            mid = "swapped_outputs"
        if mid is None:
            mid = _common_generic([results[i].generic for i in wrong])
        mid = base_id(mid) if mid else None
        # the case shown is a real error when there is one: a float32 rounding case would hide it
        shown = next((i for i in wrong if results[i].generic != "float32"), wrong[0])
        first = results[shown]
        where = f"case {shown + 1} of {n}: " if n > 1 else ""
        msg = where + first.message
        if n > 1:
            msg += f" [wrong on {len(wrong)} of {n} cases]"
        if mid:
            msg += "\n\u2192 " + _explain(mid, catalogue, ex)
        comps[comp] = ComponentVerdict(comp, weight, False, msg, mid, len(wrong))
    changed = sorted({x for names in (mutated or []) for x in names if x not in ex.may_change})
    marked = False
    if changed:
        # the values may be right, but the caller's data is not: the exercise forbids this
        which = ", ".join(f"`{x}`" for x in changed)
        for comp in comps.values():
            if comp.ok:
                comp.ok, comp.misconception, marked = False, "mutates_input", True
                comp.message = (
                    f"right values, but your function changed its input {which} in place"
                    "\n\u2192 " + _explain("mutates_input", catalogue, ex)
                )
    if ex.partial:
        fraction = sum(c.weight for c in comps.values() if c.ok)
    else:
        fraction = 1.0 if all(c.ok for c in comps.values()) else 0.0
    notes = []
    for i, names in enumerate(mutated or []):
        if names and not marked:  # said once, in a component's message or here
            which = ", ".join(f"`{x}`" for x in names)
            notes.append(
                f"case {i + 1}: your function changed its input {which} in place "
                "(the caller's array is modified; work on a copy)"
            )
            break
    tol = f"float64, rtol {ex.rtol:g}, atol {ex.atol:g}"
    return Verdict(ex.id, comps, min(1.0, max(0.0, fraction)), n, notes, tol)


def _common_generic(generics: list[str | None]) -> str | None:
    """The generic diagnosis of the wrong cases: the most frequent id, if on at least half."""
    counts = sorted(((generics.count(g), g) for g in set(generics) if g), reverse=True)
    if not counts or (len(counts) > 1 and counts[0][0] == counts[1][0]):
        return None
    count, mid = counts[0]
    return mid if 2 * count >= len(generics) else None


def _variant_changes(
    comp: str, exps: list[np.ndarray], outs: Sequence[Mapping[str, Any]], ex: Exercise
) -> bool:
    """Whether the variant's component differs from the reference on some case: a mistake that
    leaves a component as it should be explains nothing wrong with it."""
    for exp, out in zip(exps, outs, strict=False):
        ref, kind = _normalise(out.get(comp)) if isinstance(out, Mapping) else (None, "")
        if kind not in NUMERIC_KINDS or not isinstance(ref, np.ndarray):
            continue
        ref = np.asarray(ref, dtype=np.float64)
        if ref.shape != exp.shape or not _close(ref, exp, ex.rtol, ex.atol, equal_nan=True):
            return True
    return False


def _holds_other(
    gots: list[tuple[Any, str]], mine: list[np.ndarray], other: list[np.ndarray], ex: Exercise
) -> bool:
    """The student's component equals another component's reference on every case, and the
    two references differ somewhere (so the swap is visible)."""
    differ = False
    for (got, _), exp_mine, exp_other in zip(gots, mine, other, strict=True):
        if not isinstance(got, np.ndarray):
            return False
        if not _matches_loosely(got, exp_other, ex.rtol, ex.atol):
            return False
        if exp_mine.shape != exp_other.shape or not _close(exp_mine, exp_other, ex.rtol, ex.atol):
            differ = True
    return differ


def _variant_matches(
    comp: str,
    gots: list[tuple[Any, str]],
    outs: Sequence[Mapping[str, Any]],
    ex: Exercise,
    n: int,
) -> bool:
    """Whether the student's component equals the variant's on every case."""
    if len(outs) != n:
        return False
    for i in range(n):
        got, _ = gots[i]
        out = outs[i] if isinstance(outs[i], Mapping) else {}
        if comp not in out or not isinstance(got, np.ndarray):
            return False
        ref, kind = _normalise(out[comp])
        if kind not in NUMERIC_KINDS or not isinstance(ref, np.ndarray):
            return False
        if not _matches_loosely(got, np.asarray(ref, dtype=np.float64), ex.rtol, ex.atol):
            return False
    return True
