"""Per-lesson exercise specs. Importing a module registers its exercises (spec.register).

`load_prefix("l01")` imports the one module a check needs (a broken lesson file never breaks
another lesson's checks); `load_all()` imports every lesson, for the grader and the fixtures.

LESSONS lists the module of every lesson. PENDING lists the modules that are allowed to be
missing while the course is being written: `load_all()` raises for any other missing module.
Empty PENDING before a release (tests/test_checks_fixtures.py fails under CI otherwise).
"""

from __future__ import annotations

import importlib

LESSONS = {
    "l01": "l01_single_neuron",
    "l02": "l02_dense_layer",
    "l03": "l03_sigmoid_net",
    "l04": "l04_gradients_by_hand",
    "l05": "l05_matrix_backprop",
    "l06": "l06_gradient_check",
    "l07": "l07_deep_network",
}
# Development only: lesson modules not written yet (see module docstring). Empty = all required.
PENDING: frozenset[str] = frozenset()


def _import(module: str):
    return importlib.import_module(f"{__name__}.{module}")


def load_prefix(prefix: str) -> bool:
    """Import the lesson module for 'l01'...; False when there is none (unknown or missing)."""
    module = LESSONS.get(prefix)
    if module is None:
        return False
    try:
        _import(module)
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{module}":
            raise
        return False
    return True


def load_all() -> list[str]:
    """Import every lesson module; returns the loaded module names.

    A missing module is an ImportError unless it is listed in PENDING.
    """
    loaded = []
    for module in LESSONS.values():
        try:
            _import(module)
        except ModuleNotFoundError as err:
            if err.name == f"{__name__}.{module}" and module in PENDING:
                continue
            raise
        loaded.append(module)
    return loaded
