"""`ast.parse` that cannot fail with CPython 3.11's spurious "recursion depth mismatch".

On Python 3.11 a cyclic garbage collection can run while `ast.parse` builds its Python objects; if
a finalizer then formats a traceback (an asyncio Task whose exception was never retrieved does:
3.11's traceback module calls `ast.parse` to place its `^^^` carets), the nested parse resets the
interpreter-wide depth counter and the outer parse raises `SystemError: AST constructor recursion
depth mismatch` (cpython gh-106905). The grader parses student code in a process full of
nbclient's asyncio tasks, so this is a real risk to a grade, not only to a test. Keeping the
collector off for the duration of one parse removes the cause; no finalizer runs inside it.
"""

from __future__ import annotations

import ast
import gc


def parse_python(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse(source, filename)` with the cyclic collector paused; raises SyntaxError."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, filename=filename)
    finally:
        if was_enabled:
            gc.enable()
