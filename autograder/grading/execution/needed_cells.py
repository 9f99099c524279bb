"""Which cells of a canonical notebook grading needs to run (issue 13, item 1).

Canonicalisation marks the lesson's own unmarked code cells (demos, plots, training loops) with
``metadata.backprop_grader.origin == "instructor"``; students cannot forge the mark (their extra
cells are copied without metadata). Every other code cell (answers, tests, read-only cells, the
student's extra cells) is a *root* and always runs. An instructor cell runs only if it may
define a name that a later cell that runs loads (transitively, by AST), or if its effect cannot
be analysed: imports, star imports, exec/eval/globals(), IPython magics or shell escapes, a
syntax error, or a call that may move a global random state (``*.seed``, ``*random*``).

The analysis over-approximates on purpose: every name stored anywhere in a cell (also inside
functions, attribute and subscript targets, and receivers of method calls) counts as defined by
it, and every name loaded anywhere counts as used. Skipping too little only costs time; skipping
too much would change a grade.
"""

from __future__ import annotations

import ast
from typing import Any

ORIGIN_KEY = "backprop_grader"
UNSAFE_CALLS = frozenset(
    {"exec", "eval", "globals", "locals", "vars", "__import__", "setattr", "delattr", "compile"}
)


def is_instructor_cell(cell: Any) -> bool:
    md = cell.get("metadata", {}).get(ORIGIN_KEY, {})
    return cell.get("cell_type") == "code" and isinstance(md, dict) and md.get("origin") == (
        "instructor"
    )


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call | ast.Starred):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


class CellEffect:
    """Names a cell may define and names it loads; ``opaque`` when it must always run."""

    def __init__(self, source: str) -> None:
        self.defines: set[str] = set()
        self.loads: set[str] = set()
        self.opaque = False
        lines = source.splitlines()
        if any(line.lstrip().startswith(("%", "!")) for line in lines):
            self.opaque = True  # magics and shell escapes can define anything
            return
        try:
            tree = ast.parse(source)
        except SyntaxError:
            self.opaque = True  # runs and fails exactly as in a full execution
            return
        for node in ast.walk(tree):
            self._visit(node)

    def _visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            self.opaque = True  # imports always run (cheap, and they may have side effects)
        elif isinstance(node, ast.Name):
            (self.loads if isinstance(node.ctx, ast.Load) else self.defines).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self.defines.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            self.defines.update(node.names)
        elif isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(
            node.ctx, ast.Load
        ):
            root = _root_name(node)
            if root:
                self.defines.add(root)  # W1[0] = 0 or net.W1 = ... mutates W1 / net
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name in UNSAFE_CALLS:
                self.opaque = True
            elif isinstance(node.func, ast.Attribute):
                root = _root_name(node.func)
                if root:
                    self.defines.add(root)  # params.append(x) may mutate params
                if "random" in name or name.endswith(("seed", "manual_seed")):
                    self.opaque = True  # moves a global random state later cells may draw from


def needed_cells(cells: list[Any]) -> set[int]:
    """Indices of the code cells to execute; the other code cells are skipped."""
    needed: set[str] = set()
    keep: set[int] = set()
    for i in range(len(cells) - 1, -1, -1):
        cell = cells[i]
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        effect = CellEffect(source)
        if not is_instructor_cell(cell) or effect.opaque or effect.defines & needed:
            keep.add(i)
            needed |= effect.loads
    return keep


__all__ = ["ORIGIN_KEY", "CellEffect", "is_instructor_cell", "needed_cells"]
