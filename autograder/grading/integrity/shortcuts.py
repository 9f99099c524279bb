"""Shortcut detection: an AST scan of the student's code (grader side).

``scan_shortcuts(nb, source)``: imports of the reference package (``course``,
``autograder.grading``), torch autograd inside a by-hand exercise (``FORBIDDEN``), and suspicious
tricks (display/exception hooks, ``os._exit``, forged record bundles, reading the gradebook or
source/).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from nbformat import NotebookNode

from autograder.grading.integrity.flags import RECORD_MIME  # noqa: F401
from autograder.grading.integrity.flags import dedupe as _dedupe
from autograder.grading.integrity.flags import flag as _flag
from autograder.parsing import parse_python

# Exercises where gradients must be computed by hand; `Exercise.forbidden` overrides this.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    ex: ("autograd",)
    for ex in (
        "l01_neuron_backward",
        "l01_train",
        "l02_backward",
        "l02_batch",
        "l02_train",
        "l03_backward",
        "l03_step",
        "l04_backward",
        "l05_numpy",
        "l05_step",
        "l05_torch_by_hand",
        "l06_gradients",
        "l06_update",
        "l07_affine",
        "l07_relu",
        "l07_softmax",
        "l07_mlp",
        "l07_sgd",
    )
}


# Exercises whose text says "No Python loops" (vectorised numpy is what they teach).
for _ex in ("l01_relu", "l02_batch"):
    FORBIDDEN[_ex] = (*FORBIDDEN.get(_ex, ()), "loops")

# What each forbidden kind is called in the flag and in the zeroed cell.
RULES = {
    "autograd": ("forbidden_autograd", "asks for gradients by hand but uses torch autograd"),
    "loops": ("forbidden_loop", "asks for vectorised numpy (no Python loops) but loops"),
}

_EX_CALL = re.compile(r"\b(?:check|record)\(\s*[\"'](l\d\d_\w+)[\"']\s*((?:,\s*\w+\s*)*)\)")
_SUSPICIOUS = {
    "set_custom_exc": "installs a custom exception handler",
    "displayhook": "replaces the display hook",
    "events.register": "registers IPython event callbacks",
    "os._exit": "exits the kernel",
    "vnd.backprop.record": "builds record bundles itself",
    "gradebook": "mentions the gradebook",
    "skip-execution": "uses an execution-skipping tag",
    "sys.stdout": "redirects stdout",
    "sys.stderr": "redirects stderr",
}


def _exercise_functions(
    ex_id: str, fallback: tuple[str, ...], extra: Iterable[str] = ()
) -> tuple[tuple[str, ...], tuple]:
    try:
        from autograder.student.spec import get_exercise

        ex = get_exercise(ex_id)
        functions = tuple(ex.functions)
        forbidden = getattr(ex, "forbidden", None)
    except Exception:  # noqa: BLE001 - lessons written in parallel may be missing
        functions, forbidden = fallback, None
    if forbidden is None:
        forbidden = FORBIDDEN.get(ex_id, ())
    forbidden = tuple(forbidden) + (("autograd",) if ex_id in set(extra) else ())
    return functions or fallback, forbidden


def _parse(src: str) -> ast.Module | None:
    lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    try:
        return parse_python("\n".join(lines))
    except SyntaxError:
        return None


def _is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _switches_autograd_off(node: ast.AST) -> set[int]:
    """ids of the nodes that turn autograd OFF (`requires_grad=False`, `.requires_grad_(False)`,
    `t.requires_grad = False`): no use of autograd, never flagged."""
    off: set[int] = set()
    for n in ast.walk(node):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "requires_grad_"
            and (
                (len(n.args) == 1 and _is_false(n.args[0]))
                or any(k.arg == "requires_grad" and _is_false(k.value) for k in n.keywords)
            )
        ):
            off.add(id(n.func))
            off.update(id(k) for k in n.keywords)
        elif isinstance(n, ast.Assign | ast.AnnAssign) and _is_false(n.value):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            off.update(id(t) for t in targets if isinstance(t, ast.Attribute))
        elif isinstance(n, ast.keyword) and n.arg == "requires_grad" and _is_false(n.value):
            off.add(id(n))
    return off


def _autograd_uses(node: ast.AST) -> list[str]:
    found = []
    off = _switches_autograd_off(node)
    for n in ast.walk(node):
        if id(n) in off:
            continue
        if isinstance(n, ast.Attribute):
            if n.attr in (
                "backward",
                "requires_grad",
                "requires_grad_",
                "grad",
                "autograd",
                "enable_grad",
                "func",
            ):
                if n.attr == "func" and not (
                    isinstance(n.value, ast.Name) and n.value.id == "torch"
                ):
                    continue
                found.append(f".{n.attr} (line {n.lineno})")
        elif isinstance(n, ast.keyword) and n.arg == "requires_grad":
            found.append(f"requires_grad= (line {n.value.lineno})")
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in n.names] + (
                [n.module] if isinstance(n, ast.ImportFrom) and n.module else []
            )
            if any(m.startswith(("torch.autograd", "torch.func", "functorch")) for m in mods) or (
                isinstance(n, ast.ImportFrom)
                and n.module == "torch"
                and any(a.name in ("autograd", "func") for a in n.names)
            ):
                found.append(f"import of {', '.join(mods)} (line {n.lineno})")
    return found


def _loops(node: ast.AST) -> list[str]:
    """Python loops (for, while, comprehensions) in a function."""
    kinds = {
        ast.For: "for loop",
        ast.AsyncFor: "for loop",
        ast.While: "while loop",
        ast.ListComp: "list comprehension",
        ast.SetComp: "set comprehension",
        ast.DictComp: "dict comprehension",
        ast.GeneratorExp: "generator expression",
    }
    return [f"{kinds[type(n)]} (line {n.lineno})" for n in ast.walk(node) if type(n) in kinds]


def _reference_imports(tree: ast.AST) -> list[str]:
    found = []
    for n in ast.walk(tree):
        mods: list[str] = []
        if isinstance(n, ast.Import):
            mods = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom) and n.module:
            mods = [n.module] + [f"{n.module}.{a.name}" for a in n.names]
        elif isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Constant):
            f = n.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if fname in ("import_module", "__import__") and isinstance(n.args[0].value, str):
                mods = [n.args[0].value]
        for m in mods:
            if m == "course" or m.startswith(("course.", "autograder.grading")):
                found.append(f"{m} (line {n.lineno})")
                break
    return found


def scan_shortcuts(
    nb: NotebookNode, source: NotebookNode, forbid_autograd: Iterable[str] = ()
) -> dict:
    """Scan the student's code in the canonical notebook ``nb`` (cells that differ from the
    source notebook's). ``forbid_autograd``: exercise ids added to ``FORBIDDEN`` / the
    exercises' own ``forbidden``. Returns {"forbidden": {ex_id: {"rule": str, "uses": [...]}},
    "flags": [...]}."""
    forbid_autograd = tuple(forbid_autograd)
    src_texts = {c.source.strip() for c in source.cells if c.cell_type == "code"}
    student_src = [
        c.source for c in nb.cells if c.cell_type == "code" and c.source.strip() not in src_texts
    ]
    flags: list[dict] = []
    defs: dict[str, ast.FunctionDef] = {}
    for src in student_src:
        tree = _parse(src)
        if tree is None:
            continue
        for use in _reference_imports(tree):
            flags.append(
                _flag(
                    "forbidden_import", f"imports the reference code: {use} (fails in the sandbox)"
                )
            )
        for n in tree.body:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[n.name] = n
        for needle, why in _SUSPICIOUS.items():
            if needle in src:
                flags.append(_flag("suspicious", f"student code {why} ({needle!r})"))

    forbidden: dict[str, dict] = {}
    for c in source.cells:
        if c.cell_type != "code":
            continue
        for m in _EX_CALL.finditer(c.source):
            ex_id = m.group(1)
            fallback = tuple(a.strip() for a in m.group(2).split(",") if a.strip())
            functions, kinds = _exercise_functions(ex_id, fallback, forbid_autograd)
            if ex_id in forbidden:
                continue
            for kind in kinds:
                find = {"autograd": _autograd_uses, "loops": _loops}.get(kind)
                if find is None:
                    continue
                uses = []
                for fn in _reachable(functions, defs):
                    uses += [f"{fn}: {u}" for u in find(defs[fn])]
                if uses:
                    code, rule = RULES[kind]
                    forbidden[ex_id] = {"rule": rule, "uses": uses}
                    flags.append(
                        _flag(code, f"{ex_id} {rule} ({'; '.join(uses[:3])}): 0 points", cell=ex_id)
                    )
                    break
    return {"forbidden": forbidden, "flags": _dedupe(flags)}


def _reachable(roots: Iterable[str], defs: dict[str, ast.FunctionDef]) -> list[str]:
    """The student's functions reachable by name from ``roots`` (helpers count too)."""
    todo, seen = [r for r in roots if r in defs], []
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.append(fn)
        for n in ast.walk(defs[fn]):
            if isinstance(n, ast.Name) and n.id in defs and n.id not in seen:
                todo.append(n.id)
    return seen
