"""A true stock-nbgrader reference: nbgrader's own generate_assignment and autograde with its
default preprocessors (stock ``Execute``, no sandbox, no TrustedScores, no canonicalisation).

Nothing of ours is configured: the Config holds only where the course lives (root, gradebook,
course id) and the kernel name, so a test that compares our grades with these compares ours
with nbgrader's, not ours with ours. Use it only on courses whose tests are plain asserts (the
toy course): stock nbgrader scores a test cell full when it runs without an error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config


def stock_config(course_dir: Path, db_url: str, course_id: str = "backprop") -> Config:
    c = Config()
    c.CourseDirectory.root = str(Path(course_dir).resolve())
    c.CourseDirectory.db_url = db_url
    c.CourseDirectory.course_id = course_id
    c.Execute.kernel_name = "python3"
    c.NbGraderAPI.log_level = "WARN"
    return c


def stock_autograde(
    course_dir: Path, db_url: str, lessons: list[str], jobs: list[tuple[str, str]]
) -> None:
    """Release ``lessons`` and autograde ``jobs`` ((student, lesson), serially) with stock
    nbgrader. Submissions must already be in ``course_dir/submitted``."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import Execute

    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    c = stock_config(course_dir, db_url)
    api = NbGraderAPI(coursedir=CourseDirectory(config=c), config=c)
    from nbgrader.converters import Autograde

    # nothing of ours: nbgrader's own default pipeline, with its own Execute
    pre = Autograde.autograde_preprocessors.default()
    assert Execute in pre and all(p.__module__.startswith(("nbgrader.", "nbconvert.")) for p in pre)
    for lesson in lessons:
        res = api.generate_assignment(lesson, force=True, create=True)
        assert res["success"], res.get("log")
    for student, lesson in jobs:
        api.autograde(lesson, student, force=True, create=True)
