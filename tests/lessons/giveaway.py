"""Does an instructor cell give an exercise's solution away? A normalised-AST comparison.

Each solution cell's statements (those between BEGIN/END SOLUTION, function bodies flattened)
are normalised: variable names are erased (a renamed copy is still a copy), while the names
of called functions and attributes are kept (`relu(Z)` is not `relu_prime(Z)`, `.T` is not
`.sum()`). A non-solution code cell *gives the solution away* when it holds statements
carrying at least THRESHOLD of the solution's weight (weight = AST node count, so a one-line
`return z, a` counts for little and the line that is the exercise counts for much).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import nbformat

THRESHOLD = 0.4  # share of a solution's weight found in one cell
MIN_WEIGHT = 4  # smaller values (`[]`, `a + 1`, a call of one name) are not evidence

_SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)


# Wrappers that change a value's type or container, not the computation: looked through.
_WRAPPERS = {
    "float",
    "asarray",
    "array",
    "as_tensor",
    "from_numpy",
    "tensor",
    "to",
    "astype",
    "double",
    "copy",
    "clone",
    "detach",
    "numpy",
}
_SAME = {"t": "T", "dot": "matmul", "mm": "matmul", "multiply": "mul"}


class _Erase(ast.NodeTransformer):
    """Erase variable names; keep what is called, by its last name (`torch.relu` ~ `relu`)."""

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        name = _SAME.get(name, name)
        args = [self.visit(a) for a in node.args]
        if name in _WRAPPERS:
            if isinstance(func, ast.Attribute):  # x.astype(float), t.to(dtype) -> x
                return self.visit(func.value)
            if args:  # float(x), np.asarray(x) -> x
                return args[0]
        if name == "T" and isinstance(func, ast.Attribute):  # x.t() -> x.T
            return ast.Attribute(value=self.visit(func.value), attr="T", ctx=ast.Load())
        if name == "matmul" and isinstance(func, ast.Attribute) and len(args) == 2:
            return ast.BinOp(left=args[0], op=ast.MatMult(), right=args[1])
        return ast.Call(
            func=ast.Name(id=name or "?", ctx=ast.Load()),
            args=args,
            keywords=[self.visit(k) for k in node.keywords],
        )

    def visit_Subscript(self, node):
        if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            return ast.Name(id="_", ctx=ast.Load())  # params["Wo"]: a variable by another name
        return self.generic_visit(node)

    def visit_Name(self, node):
        return ast.copy_location(ast.Name(id="_", ctx=ast.Load()), node)

    def visit_arg(self, node):
        return ast.copy_location(ast.arg(arg="_"), node)


def _expressions(tree) -> list[ast.expr]:
    """The computed values: right-hand sides and returned values, tuples split (so
    `return X.T @ Eh, H.T @ Eo` and `dWo, dWh = H.t() @ Eo, x.t() @ Eh` share two)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Expr)):
            value = node.value
            if value is None:
                continue
            out.extend(value.elts if isinstance(value, ast.Tuple) else [value])
        if isinstance(node, ast.Dict):  # {"Wh": d_h @ x.T, ...}
            out.extend(node.values)
    return out


def _weight(node: ast.AST) -> int:
    return sum(1 for n in ast.walk(node) if not isinstance(n, (ast.expr_context, ast.operator)))


def _calls_only(expr: ast.expr, exercise_functions: set[str]) -> bool:
    """`backprop(X, Y, Wh, Wo)`: using an earlier exercise's function is not its code."""
    return (
        isinstance(expr, ast.Call)
        and getattr(expr.func, "id", None) in exercise_functions
        and all(isinstance(a, (ast.Name, ast.Constant)) for a in expr.args)
    )


def _keys(source: str, exercise_functions: set[str] = frozenset()) -> dict[str, int]:
    try:
        tree = ast.parse(_strip_magics(source))
    except SyntaxError:
        return {}
    keys = {}
    for expr in _expressions(tree):
        if _calls_only(expr, exercise_functions):
            continue
        norm = _Erase().visit(ast.parse(ast.unparse(expr), mode="eval").body)
        if isinstance(norm, ast.Name):  # a bare variable after unwrapping: no evidence
            continue
        keys[ast.dump(norm, annotate_fields=False)] = _weight(norm)
    return keys


def _parse(source: str) -> ast.AST:
    try:
        return ast.parse(_strip_magics(source))
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def _strip_magics(source: str) -> str:
    lines = source.split("\n")
    return "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines)


@dataclass(frozen=True)
class GiveAway:
    solution: str  # grade_id of the solution cell
    cell: str  # grade_id (or index) of the cell that gives it away
    share: float  # of the solution's weight


def _cell_id(cell, index: int) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"


def find(path, threshold: float = THRESHOLD) -> list[GiveAway]:
    nb = nbformat.read(str(path), as_version=4)
    solutions, others = [], []
    exercise_functions = {
        node.name
        for cell in nb.cells
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution")
        for node in ast.walk(_parse(cell.source))
        if isinstance(node, ast.FunctionDef)
    }
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            body = "\n".join(_dedent_block(b) for b in _SOLUTION.findall(cell.source))
            keys = {k: w for k, w in _keys(body, exercise_functions).items() if w >= MIN_WEIGHT}
            if keys:
                solutions.append((_cell_id(cell, i), keys))
        else:
            others.append((_cell_id(cell, i), _keys(_HIDDEN.sub("", cell.source))))
    found = []
    for sol_id, sol in solutions:
        total = sum(sol.values())
        for cell_id, keys in others:
            share = sum(w for k, w in sol.items() if k in keys) / total
            if share >= threshold:
                found.append(GiveAway(sol_id, cell_id, round(share, 2)))
    return found


def _dedent_block(block: str) -> str:
    lines = [ln for ln in block.split("\n")]
    indents = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
    cut = min(indents, default=0)
    return "\n".join(ln[cut:] for ln in lines)


def shares(path) -> list[tuple[str, str, float]]:
    """Every (solution, cell, share) with share > 0: for choosing and explaining THRESHOLD."""
    return [(g.solution, g.cell, g.share) for g in find(path, threshold=1e-9)]
