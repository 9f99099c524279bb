"""Due dates, per-student extensions and the late penalty, from one file: ``course.toml``.

``course.toml`` at the course root (``c.CourseLatePolicy.course_file`` to put it elsewhere)::

    [late]
    penalty_per_day = 0.10      # fraction of the score lost per started day late
    max_penalty = 0.50          # cap (fraction of the score)
    hard_deadline_days = 7      # later than due + this: the score is lost entirely

    [due]
    01_single_neuron = 2026-01-12T23:59:00Z

    [extensions.alice]          # days added to alice's due date (and hard deadline)
    01_single_neuron = 3

nbgrader computes how late a submission is from the assignment's due date in the gradebook
(``set_due_dates`` writes the file's dates there) and calls the configured
``AssignLatePenalties.plugin_class`` for late ones: ``CourseLatePolicy`` subtracts the student's
extension and applies the policy. No course.toml: no penalty.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Unicode

from autograder.grading.config import GradingError

COURSE_FILE = "course.toml"
DAY = 86400.0


@dataclass
class CoursePolicy:
    due: dict[str, dt.datetime] = field(default_factory=dict)  # lesson -> due (UTC)
    extensions: dict[str, dict[str, float]] = field(default_factory=dict)  # student -> lesson -> d
    penalty_per_day: float = 0.0
    max_penalty: float = 1.0
    hard_deadline_days: float | None = None

    def extension_days(self, student: str, lesson: str) -> float:
        return float(self.extensions.get(student, {}).get(lesson, 0.0))

    def penalty_fraction(self, student: str, lesson: str, seconds_late: float) -> float:
        """Fraction of the score lost, `seconds_late` after the lesson's (non-extended) due."""
        days = (seconds_late - self.extension_days(student, lesson) * DAY) / DAY
        if days <= 0:
            return 0.0
        if self.hard_deadline_days is not None and days > self.hard_deadline_days:
            return 1.0
        return min(self.max_penalty, math.ceil(days) * self.penalty_per_day)


def _utc(value, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(23, 59), tzinfo=dt.UTC)
    raise GradingError(f"{where}: a date or date-time, got {value!r}")


def load_policy(path: Path) -> CoursePolicy | None:
    """The policy in `path`; None when the file does not exist. Bad files: GradingError."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GradingError(f"{path}: {exc}") from None
    late = data.get("late", {})
    hard = late.get("hard_deadline_days")
    try:
        policy = CoursePolicy(
            due={k: _utc(v, f"{path} [due] {k}") for k, v in data.get("due", {}).items()},
            extensions={
                s: {k: float(v) for k, v in lessons.items()}
                for s, lessons in data.get("extensions", {}).items()
            },
            penalty_per_day=float(late.get("penalty_per_day", 0.0)),
            max_penalty=float(late.get("max_penalty", 1.0)),
            hard_deadline_days=None if hard is None else float(hard),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise GradingError(f"{path}: {exc}") from None
    return policy


def set_due_dates(db_url: str, policy: CoursePolicy, course_id: str) -> list[str]:
    """Write the policy's due dates into the gradebook (nbgrader measures lateness from them)."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id) as gb:
        for lesson, due in policy.due.items():
            gb.update_or_create_assignment(lesson, duedate=due.replace(tzinfo=None))
    return sorted(policy.due)


class CourseLatePolicy(LateSubmissionPlugin):
    """nbgrader's late-submission plugin, configured from course.toml (see the module doc)."""

    course_file = Unicode("", help="course.toml (default: <course root>/course.toml)").tag(
        config=True
    )

    def policy(self) -> CoursePolicy | None:
        path = self.course_file
        if not path:
            root = self.config.get("CourseDirectory", {}).get("root") or "."
            path = str(Path(root) / COURSE_FILE)
        return load_policy(Path(path))

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float):
        policy = self.policy()
        lesson = str(getattr(self.parent, "assignment_id", ""))
        if policy is None:
            return None
        frac = policy.penalty_fraction(student_id, lesson, total_seconds_late)
        ext = policy.extension_days(student_id, lesson)
        self.log.info(
            "%s/%s: %.2f days late (extension %g days): penalty %g%% of %g",
            student_id,
            lesson,
            total_seconds_late / DAY,
            ext,
            100 * frac,
            score,
        )
        return None if frac <= 0 else round(frac * float(score or 0.0), 6)


BANNER_TAG = "backprop-due-date"


def due_banner(policy: CoursePolicy, lesson: str) -> str | None:
    """The markdown shown at the top of the released notebook ("" when the lesson has no date)."""
    due = policy.due.get(lesson)
    if due is None:
        return None
    text = f"**Due: {due.astimezone(dt.UTC):%A %d %B %Y, %H:%M} UTC.**"
    rules = []
    if policy.penalty_per_day:
        rules.append(
            f"late work loses {100 * policy.penalty_per_day:g} % per started day"
            + (f", at most {100 * policy.max_penalty:g} %" if policy.max_penalty < 1 else "")
        )
    if policy.hard_deadline_days is not None:
        rules.append(f"it scores 0 more than {policy.hard_deadline_days:g} day(s) late")
    if rules:
        text += " " + "; ".join(rules).capitalize() + "."
    return text + " An extension granted to you moves these dates."


def add_due_banner(nb_path: Path, policy: CoursePolicy | None, lesson: str) -> bool:
    """Put (or refresh) the due-date cell at the top of a released notebook; True if written.

    A plain markdown cell (no nbgrader metadata): grading rebuilds submissions from the source
    and never reads it."""
    import nbformat
    from nbformat.v4 import new_markdown_cell

    text = None if policy is None else due_banner(policy, lesson)
    if text is None:
        return False
    nb = nbformat.read(str(nb_path), as_version=4)
    nb.cells = [c for c in nb.cells if BANNER_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = new_markdown_cell(text)
    cell.metadata["tags"] = [BANNER_TAG]
    cell.metadata["deletable"] = False
    cell.metadata["editable"] = False
    nb.cells.insert(0, cell)
    nbformat.write(nb, str(nb_path))
    return True
