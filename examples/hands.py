"""A student's own hand: the same computation written the way that student writes code.

The example class draws its wrong answers from one text per misconception
(tests/wrong_answers/); real students who make the same mistake do not type the same code. Each
student gets a fixed set of habits (from a hash of the name), applied by AST rewrites that keep
the computation: so the class has the variety of a real one, and the similarity report meets the
coincidences it should ignore and not verbatim copies that no class contains.

Habits (each on or off per student): `np.dot(a, b)` for `a @ b`; `np.sum(x, ...)` for
`x.sum(...)`; a named result before `return`; a constant factor on the right (`y * 2.0`);
`x * x` for `x ** 2`. Answers that use torch are left as they are (its tensors have other
method names); so are answers that do not parse.
"""

from __future__ import annotations

import ast
import hashlib

HABITS = ("dot", "np_sum", "named_result", "factor_right", "square_as_product")


def habits_of(student: str) -> set[str]:
    bits = int.from_bytes(hashlib.sha256(f"hand-{student}".encode()).digest()[:2], "big")
    return {h for i, h in enumerate(HABITS) if bits >> i & 1}


class _Hand(ast.NodeTransformer):
    def __init__(self, habits: set[str]):
        self.habits = habits

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if "dot" in self.habits and isinstance(node.op, ast.MatMult):
            return ast.Call(_np("dot"), [node.left, node.right], [])
        if (
            "factor_right" in self.habits
            and isinstance(node.op, ast.Mult)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, int | float)
        ):
            return ast.BinOp(node.right, ast.Mult(), node.left)
        if (
            "square_as_product" in self.habits
            and isinstance(node.op, ast.Pow)
            and isinstance(node.left, ast.Name)
            and isinstance(node.right, ast.Constant)
            and node.right.value == 2
        ):
            return ast.BinOp(node.left, ast.Mult(), ast.Name(node.left.id, ast.Load()))
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if (
            "np_sum" in self.habits
            and isinstance(f, ast.Attribute)
            and f.attr == "sum"
            and not (isinstance(f.value, ast.Name) and f.value.id in ("np", "numpy"))
            and not node.args
        ):
            return ast.Call(_np("sum"), [f.value], node.keywords)
        return node

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        if "named_result" not in self.habits:
            return node
        body = []
        for stmt in node.body:
            if isinstance(stmt, ast.Return) and stmt.value is not None and not _plain(stmt.value):
                body.append(ast.Assign([ast.Name("result", ast.Store())], stmt.value))
                stmt = ast.Return(ast.Name("result", ast.Load()))
            body.append(stmt)
        node.body = body
        return node


def _np(name: str) -> ast.Attribute:
    return ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load())


def _plain(expr) -> bool:
    """A name, or a tuple of names: nothing to name before returning it."""
    if isinstance(expr, ast.Tuple):
        return all(isinstance(e, ast.Name) for e in expr.elts)
    return isinstance(expr, ast.Name)


def in_hand(source: str, student: str) -> str:
    """`source` as `student` would write it (unchanged if it uses torch or does not parse)."""
    if "torch" in source:
        return source
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    tree = ast.fix_missing_locations(_Hand(habits_of(student)).visit(tree))
    return ast.unparse(tree) + "\n"


def renamed(source: str, suffix: str = "_") -> str:
    """A copier's disguise: every assigned variable renamed (parameters and functions kept)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    defined = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    # parameters keep their names: a grader may pass arguments by keyword
    funcs = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}

    class _Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if node.id in defined and node.id not in funcs:
                node.id = node.id + suffix
            return node

    return ast.unparse(ast.fix_missing_locations(_Rename().visit(tree))) + "\n"
