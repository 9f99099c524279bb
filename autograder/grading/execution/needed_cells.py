"""Which cells of a canonical notebook grading needs to run (issue 13, item 1).

Canonicalisation marks the lesson's own code cells that are neither answers nor tests (demos,
plots, training loops; always the source's text) with
``metadata.backprop_grader.origin == "instructor"``; students cannot forge the mark (their extra
cells are copied without metadata). Every other code cell (answers, tests, the student's extra
cells) is a *root* and always runs. An instructor cell runs only if it may define or change a
global name that a cell that runs loads (transitively), or if its effect cannot be analysed:
star imports, exec/eval/globals(), IPython magics or shell escapes, a syntax error, or a call on
a module that moves a global random state or sets a global option (``np.random.rand``,
``torch.manual_seed``, ``torch.set_default_dtype``, ``np.seterr``).

The analysis follows Python's scopes (a function's parameters and locals are not globals) and
over-approximates everything else on purpose: every global stored anywhere in a cell (also
inside functions, through ``global``), the variable behind an attribute or subscript target, the
receiver of a method call (``params.update(...)``) and an ``out=`` argument count as defined by
it; calls on imported modules (``np.zeros(3)``) change nothing. A function that changes its
arguments in place is not followed: the lesson's own helpers do not, and a student's function
that does is a mistake the grader names (and it changes only the demo's copy of the data, which
no graded cell reads: test cells draw their own inputs). Cell order
is ignored, since a function looks its globals up when it is called. Skipping too little only
costs time; skipping too much would change a grade: tests/test_grading_pruning.py grades the
example class and every catalogued wrong answer both ways.
"""

from __future__ import annotations

import ast
import builtins
from typing import Any

from autograder.parsing import parse_python

ORIGIN_KEY = "backprop_grader"
UNSAFE_CALLS = frozenset(
    {"exec", "eval", "globals", "locals", "vars", "__import__", "setattr", "delattr", "compile"}
)


def is_instructor_cell(cell: Any) -> bool:
    md = cell.get("metadata", {}).get(ORIGIN_KEY, {})
    return (
        cell.get("cell_type") == "code"
        and isinstance(md, dict)
        and md.get("origin") == ("instructor")
    )


def _root_name(node: ast.AST) -> str | None:
    """The variable an attribute / subscript chain hangs on (None for a call's result)."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


# Generators of their own: creating one moves no global state
_OWN_GENERATORS = (
    "default_rng",
    "Generator",
    "SeedSequence",
    "PCG64",
    "Philox",
    "SFC64",
    "MT19937",
)


def _global_effect(name: str, modules: set[str]) -> bool:
    """A call on an imported module that moves a global random state (numpy's, Python's,
    torch's) or sets a global option (torch.set_default_dtype, np.seterr, ...): later cells
    may depend on it, so the cell runs."""
    root, _, rest = name.partition(".")
    if root not in modules or not rest:
        return False
    last = rest.rsplit(".", 1)[-1]
    if last.startswith(("set", "use_")) or last.endswith("seed"):
        return True
    if "random" in name:  # np.random.rand, random.shuffle; not np.random.default_rng
        return last not in _OWN_GENERATORS
    return root == "torch" and last.startswith(
        ("rand", "normal", "bernoulli", "multinomial", "poisson")
    )


_BUILTINS = frozenset(dir(builtins))
_DEFINITE = (ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _target_names(stmt: ast.AST) -> set[str]:
    """Plain names a top-level statement binds (x = ..., def f, class C)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {stmt.name}
    if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
        return set()
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    return {
        n.id
        for t in targets
        for n in ast.walk(t)
        if isinstance(n, ast.Name) and not isinstance(n, ast.Starred)
    }


_FUNC = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMP = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _bound_in(body: list[ast.AST]) -> tuple[set[str], set[str]]:
    """(names a function body binds, names it declares global), nested scopes excluded."""
    bound: set[str] = set()
    declared: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            stack.extend(node.decorator_list)
            continue  # its body is another scope
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        if isinstance(node, (ast.Lambda, *_COMP)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return bound - declared, declared


def _params(args: ast.arguments) -> set[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return set(names)


class CellEffect:
    """Global names a cell may define or change and global names it loads (Python's scopes:
    a function's parameters and locals are not globals); ``opaque`` when it must always run."""

    def __init__(self, source: str) -> None:
        self.defines: set[str] = set()
        self.may_change: set[str] = set()  # receivers and arguments of calls
        self.modules: set[str] = set()  # names this cell binds to modules (import x as y)
        self.calls: set[str] = set()  # dotted names of the functions it calls
        self.loads: set[str] = set()
        self.opaque = False
        lines = source.splitlines()
        if any(line.lstrip().startswith(("%", "!")) for line in lines):
            self.opaque = True  # magics and shell escapes can define anything
            return
        try:
            tree = parse_python(source)
        except SyntaxError:
            self.opaque = True  # runs and fails exactly as in a full execution
            return
        # names surely bound when a later statement loads them (its own earlier top-level
        # assignments, a for loop's target inside its body): such a load needs no other cell
        self._bound: set[str] = set()
        for stmt in tree.body:
            self._walk(stmt, frozenset(), module=True)
            if isinstance(stmt, _DEFINITE):
                self._bound |= _target_names(stmt)

    def _walk(self, node: ast.AST, local: frozenset, module: bool) -> None:
        if isinstance(node, _FUNC):
            if not isinstance(node, ast.Lambda):
                self._store(node.name, local, module)
                for d in node.decorator_list:
                    self._walk(d, local, module)
            for d in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
                self._walk(d, local, module)
            body = node.body if isinstance(node.body, list) else [node.body]
            bound, declared = _bound_in(body)
            self.defines |= declared  # `global x` in a function: x is the module's
            inner = local | _params(node.args) | bound
            for stmt in body:
                self._walk(stmt, frozenset(inner), module=False)
            return
        if isinstance(node, ast.ClassDef):
            self._store(node.name, local, module)
            for b in [*node.bases, *node.decorator_list, *(k.value for k in node.keywords)]:
                self._walk(b, local, module)
            bound, _ = _bound_in(node.body)
            for stmt in node.body:
                self._walk(stmt, local | bound, module=False)
            return
        if isinstance(node, _COMP):
            targets = {
                n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
            }
            for child in ast.iter_child_nodes(node):
                self._walk(child, local | targets, module)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                self.opaque = True  # defines names nobody can list
            for a in node.names:
                name = (a.asname or a.name).split(".")[0]
                self._store(name, local, module)
                if isinstance(node, ast.Import):
                    self.modules.add(name)
            return
        if isinstance(node, ast.For | ast.AsyncFor | ast.With | ast.AsyncWith):
            # the loop's target (the `as` names) are bound inside the body, never before it
            heads = (
                [node.iter, node.target]
                if isinstance(node, ast.For | ast.AsyncFor)
                else [
                    x for item in node.items for x in (item.context_expr, item.optional_vars) if x
                ]
            )
            for h in heads:
                self._walk(h, local, module)
            names = {n.id for h in heads[1:] for n in ast.walk(h) if isinstance(n, ast.Name)}
            if isinstance(node, ast.For | ast.AsyncFor):
                names = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
            fresh = names - self._bound
            self._bound |= fresh
            for stmt in node.body:
                self._walk(stmt, local, module)
            self._bound -= fresh
            for stmt in getattr(node, "orelse", []):
                self._walk(stmt, local, module)
            return
        if isinstance(node, ast.Global | ast.Nonlocal):
            self.defines.update(node.names)
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                if node.id not in local and node.id not in self._bound:
                    self.loads.add(node.id)
            else:
                self._store(node.id, local, module)
        elif isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(node.ctx, ast.Load):
            self._change(_root_name(node), local)  # W1[0] = 0 or net.W1 = ... mutates W1 / net
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in UNSAFE_CALLS:
                self.opaque = True
            if isinstance(node.func, ast.Attribute):
                self._change(_root_name(node.func), local)  # params.append(x) mutates params
            for k in node.keywords:
                if k.arg == "out":  # np.add(a, b, out=c) writes into c
                    self._change(_root_name(k.value), local)
            self.calls.add(name)
        for child in ast.iter_child_nodes(node):
            self._walk(child, local, module)

    def _store(self, name: str, local: frozenset, module: bool) -> None:
        if module and name not in local:
            self.defines.add(name)

    def _change(self, name: str | None, local: frozenset) -> None:
        if name and name not in local and name not in _BUILTINS:
            self.may_change.add(name)  # f(float) or x.astype(float) change no builtin


def needed_cells(cells: list[Any]) -> set[int]:
    """Indices of the code cells to execute; the other code cells are skipped.

    Position-blind on purpose: a function's body looks its globals up when it is CALLED, so a
    cell defining `lr` after `def helper(): ... lr ...` is needed if a later cell calls helper.
    A cell is kept when it is a root or opaque, or defines a name any kept cell loads; repeated
    until nothing changes."""
    effects: dict[int, CellEffect] = {}
    keep: set[int] = set()
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        effects[i] = CellEffect("".join(source) if isinstance(source, list) else str(source))
        if not is_instructor_cell(cell) or effects[i].opaque:
            keep.add(i)
    # np.zeros(3) does not change np: calls on modules count only as loads
    modules = set().union(*(e.modules for e in effects.values())) if effects else set()
    for i, e in effects.items():
        if any(_global_effect(name, modules) for name in e.calls):
            keep.add(i)
    defines = {i: e.defines | (e.may_change - modules) for i, e in effects.items()}
    while True:
        needed = set().union(*(effects[i].loads for i in keep))
        more = {i for i in effects if i not in keep and defines[i] & needed}
        if not more:
            return keep
        keep |= more


__all__ = ["ORIGIN_KEY", "CellEffect", "is_instructor_cell", "needed_cells"]
