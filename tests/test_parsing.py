"""`parse_python` survives the CPython 3.11 bug that failed CI once (gh-106905).

The reproduction: cyclic garbage whose finalizer formats a traceback (as an asyncio Task with an
unretrieved exception does) is collected while `ast.parse` builds its objects. On 3.11 plain
`ast.parse` then raises SystemError; `parse_python` must not."""

from __future__ import annotations

import ast
import gc
import sys
import traceback
from pathlib import Path

import pytest

from autograder.parsing import parse_python

ROOT = Path(__file__).resolve().parents[1]
SOURCE = (ROOT / "autograder" / "grading" / "cli" / "app.py").read_text()


def _fail():
    d: dict = {}
    return d["x"] + d["y"]


class _NoisyCycle:
    """Garbage only the cyclic collector frees; its finalizer formats a traceback with carets."""

    def __init__(self):
        self.me = self

    def __del__(self):
        try:
            _fail()
        except KeyError:
            traceback.format_exc()


def _errors(parse, rounds: int = 60) -> int:
    old = gc.get_threshold()
    gc.set_threshold(50)
    errors = 0
    try:
        for _ in range(rounds):
            for _ in range(20):
                _NoisyCycle()
            try:
                parse(SOURCE)
            except SystemError:
                errors += 1
    finally:
        gc.set_threshold(*old)
        gc.collect()
    return errors


def test_parse_python_survives_finalizers_during_the_parse():
    assert _errors(parse_python) == 0


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the bug is in CPython 3.11's ast")
def test_control_plain_ast_parse_fails_under_the_same_conditions():
    """Without this, the test above could pass because the conditions never arise."""
    assert _errors(ast.parse) > 0


def test_parse_python_is_ast_parse():
    assert ast.dump(parse_python(SOURCE)) == ast.dump(ast.parse(SOURCE))
    with pytest.raises(SyntaxError):
        parse_python("def f(:\n", "<bad>")


def test_the_collector_is_restored():
    assert gc.isenabled()
    parse_python("x = 1")
    assert gc.isenabled()
    gc.disable()
    try:
        parse_python("x = 1")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_grader_parses_only_through_parse_python():
    """Every parse of student code in the grader goes through parse_python (a plain ast.parse in
    a thread of the grading process is exposed to the bug above)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "autograder"
    plain = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if p.name != "parsing.py" and "ast.parse(" in p.read_text(encoding="utf-8")
    ]
    assert plain == [], plain
