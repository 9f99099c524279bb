"""Missing system parts: a skip with a message on a developer's machine, a failure under CI.

On a fresh clone `make setup` installs bubblewrap, chromium and PostgreSQL (scripts/system-deps.sh);
`.ci/run` sets CI=true, where a missing part must fail the run instead of skipping it silently.
"""

from __future__ import annotations

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(ok: bool, what: str, hint: str = "run `make setup` (scripts/system-deps.sh)") -> None:
    """Skip (outside CI) or fail (CI=true) unless ``ok``; ``what`` says what is missing."""
    if ok:
        return
    message = f"{what}; {hint}"
    if in_ci():
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)
