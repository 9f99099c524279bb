"""Per-student hidden inputs: the course secret and the student keys derived from it.

Each student's grading cases are drawn from HMAC(student key, exercise, grading seed)
(``autograder.student.spec.case_seed``), where the student key is HMAC(course secret, student
id). The grader holds the secret; the kernel only gets the student's key (env
``BACKPROP_STUDENT_KEY``, sent by SandboxedExecute before the first cell runs), so a student
can reproduce their own cases but not another student's. TrustedScores derives the same key
from the same secret and regenerates the same cases: a regrade is identical.

Config (nbgrader_config.py)::

    c.StudentInputs.secret_file = "/etc/backprop/course-secret"   # or:
    c.StudentInputs.secret_env = "BACKPROP_COURSE_SECRET"         # the default

The secret lives outside the repository. No secret configured: every student gets the shared
cases of the grading seed (the behaviour before per-student inputs).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from traitlets.config import Config

from autograder.grading.config import GradingError

DEFAULT_SECRET_ENV = "BACKPROP_COURSE_SECRET"
MIN_SECRET_BYTES = 16


def course_secret(config: Config | None) -> bytes | None:
    """The course secret named in the config (file first, then the env variable), or None.

    A configured file that cannot be read, or a secret shorter than 16 bytes, is a GradingError
    (one line): grading silently with shared inputs would hide the mistake."""
    section = (config or Config()).get("StudentInputs", {})
    secret_file = section.get("secret_file")
    if secret_file:
        try:
            secret = Path(str(secret_file)).expanduser().read_bytes().strip()
        except OSError as exc:
            raise GradingError(f"course secret file {secret_file}: {exc.strerror}") from None
        where = f"file {secret_file}"
    else:
        env_name = str(section.get("secret_env") or DEFAULT_SECRET_ENV)
        value = os.environ.get(env_name, "").strip()
        if not value:
            return None
        secret, where = value.encode(), f"env {env_name}"
    if len(secret) < MIN_SECRET_BYTES:
        raise GradingError(f"course secret ({where}) is shorter than {MIN_SECRET_BYTES} bytes")
    return secret


def student_key(secret: bytes | None, student_id: str) -> str:
    """HMAC-SHA256(course secret, student id) in hex; "" without a secret (shared cases)."""
    if not secret or not student_id:
        return ""
    return hmac.new(secret, f"student\0{student_id}".encode(), hashlib.sha256).hexdigest()


def student_of(resources: dict | None) -> str:
    """The nbgrader student id of the notebook being processed ("" outside nbgrader)."""
    return str(((resources or {}).get("nbgrader") or {}).get("student") or "")


def key_for(config: Config | None, resources: dict | None) -> str:
    """The student key of the notebook in `resources` under the configured secret."""
    return student_key(course_secret(config), student_of(resources))


def write_secret(path: Path) -> Path:
    """A fresh random course secret in `path` (mode 0600), for `make demo` and tests."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path
