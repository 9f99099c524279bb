"""The instructor's side of the browser tests: a temp course, its exchange, and what to type.

`LessonPlan` says which lesson the student opens, which exercise they answer correctly and which
one they answer with a known misconception, and what the grader must then report.

The instructor's steps (release, collect, autograde, feedback) go through the project's grading
tool `backprop-grade` when it is installed, else through nbgrader's own CLI.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
from browser_env import REPO, VENV_BIN, JupyterUser, nbgrader_exchange_config
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


@dataclass(frozen=True)
class Answer:
    grade_id: str  # the test cell's grade_id (== exercise id)
    answer_anchor: str  # text that identifies the student's answer cell
    source: str  # what the student types into it
    test_anchor: str  # text that identifies the visible test cell
    points: float


@dataclass(frozen=True)
class LessonPlan:
    assignment: str
    notebook: str  # file name inside the assignment folder
    correct: Answer
    wrong: Answer
    untouched: Answer  # an exercise the student leaves as the stub: must score 0
    diagnosis: str  # regex the visible test's and the feedback's text must match (misconception)
    wrong_score: tuple[float, float]  # inclusive range the grader must give the wrong answer
    hidden_markers: tuple[str, ...]  # text of hidden tests that must never reach the student
    stub_error: str = "NotImplementedError"
    # False only for the toy, graded by stock nbgrader, whose feedback shows hidden tests
    # (upstream #917): there the test asserts the leak is seen, i.e. that the check can fail.
    feedback_hides_hidden: bool = True


# --------------------------------------------------------------------------- real lesson 01

L01 = LessonPlan(
    assignment="01_single_neuron",
    notebook="01_single_neuron.ipynb",
    correct=Answer(
        grade_id="l01_neuron_forward",
        answer_anchor="def neuron_forward(",
        source=(
            "def neuron_forward(x, w, b):\n"
            '    """z = w . x + b, a = relu(z), both floats."""\n'
            "    z = float(np.dot(w, x) + b)\n"
            "    return z, max(z, 0.0)\n"
        ),
        test_anchor='check("l01_neuron_forward"',
        points=2,
    ),
    # A catalogued misconception (relu_grad_ge_zero): ReLU'(0) taken as 1, `z >= 0`. The
    # worked example and the grader's cases both contain exact zeros.
    wrong=Answer(
        grade_id="l01_relu",
        answer_anchor="def relu(z):",
        source=(
            "def relu(z):\n"
            "    return np.maximum(0.0, np.asarray(z, dtype=float))\n"
            "\n"
            "\n"
            "def relu_derivative(z):\n"
            "    return (np.asarray(z) >= 0).astype(float)\n"
        ),
        test_anchor='check("l01_relu"',
        points=2,
    ),
    untouched=Answer(
        grade_id="l01_neuron_backward",
        answer_anchor="def neuron_backward(",
        source="",
        test_anchor='check("l01_neuron_backward"',
        points=3,
    ),
    diagnosis=r"ReLU'\(0\) taken as 1",
    # relu is right, relu_derivative wrong: the relu component's weight (0.5) of 2 points.
    wrong_score=(1.0, 1.0),
    hidden_markers=('record("l01_relu"', 'record("l01_neuron_forward"', "BEGIN HIDDEN TESTS"),
)


# --------------------------------------------------------------------------- toy lesson

TOY_HIDDEN = "TOY_HIDDEN_TEST_c41e"

TOY_CHECK = '''"""A stand-in for autograder.student's check() (browser harness only)."""
import numpy as np

Z = np.array([[-1.5, 0.0, 2.0], [3.0, -0.5, 0.75]])


def check(ex_id, *fns):
    if ex_id == "l01_relu":
        relu, drelu = fns
        ok_a = np.allclose(relu(Z), np.maximum(0, Z))
        got = drelu(Z)
        ok_d = np.allclose(got, (Z > 0).astype(float))
        print("relu:", "\\u2714" if ok_a else "\\u2718")
        if ok_d:
            print("relu_derivative: \\u2714")
        elif np.allclose(got, (Z >= 0).astype(float)):
            print("relu_derivative: \\u2718 looks like: ReLU'(0) taken as 1 (z >= 0) - see 1.2")
        else:
            print("relu_derivative: \\u2718 wrong values")
        if not (ok_a and ok_d):
            raise AssertionError("l01_relu: see the diagnosis above")
    elif ex_id == "l01_neuron_forward":
        (f,) = fns
        z, a = f(np.array([1.0, -2.0, 3.0]), np.array([-3.0, -1.0, 2.0]), 1.0)
        ok = np.isclose(z, 6.0) and np.isclose(a, 6.0)
        print("z, a:", "\\u2714" if ok else "\\u2718")
        if not ok:
            raise AssertionError("l01_neuron_forward: wrong values")
    elif ex_id == "l01_neuron_backward":
        (f,) = fns
        dw, db = f(np.array([1.0, -2.0, 3.0]), 6.0, 6.0, 0.0)
        ok = np.allclose(dw, [12.0, -24.0, 36.0]) and np.isclose(db, 12.0)
        print("dw, db:", "\\u2714" if ok else "\\u2718")
        if not ok:
            raise AssertionError("l01_neuron_backward: wrong values")
'''


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    md = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        md["points"] = points
    return {"nbgrader": md}


def write_toy_source(course: Path, assignment: str, notebook: str) -> None:
    """source/<assignment>/: a lesson-01 look-alike using a local toycheck.py."""
    folder = course / "source" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "toycheck.py").write_text(TOY_CHECK)
    cells = [
        new_markdown_cell("# Toy lesson", metadata=_meta("t_intro", locked=True)),
        new_code_cell(
            "import matplotlib.pyplot as plt\nimport numpy as np\n\nfrom toycheck import check",
            metadata=_meta("t_setup", locked=True),
        ),
        new_code_cell(
            "zs = np.linspace(-3, 3, 61)\nplt.plot(zs, np.maximum(0, zs))\nplt.show()",
            metadata=_meta("t_plot", locked=True),
        ),
        new_code_cell(
            "def relu(z):\n    ### BEGIN SOLUTION\n    return np.maximum(0.0, z)\n"
            "    ### END SOLUTION\n\n\ndef relu_derivative(z):\n    ### BEGIN SOLUTION\n"
            "    return (np.asarray(z) > 0).astype(float)\n    ### END SOLUTION\n",
            metadata=_meta("l01_relu_answer", solution=True),
        ),
        new_code_cell(
            'check("l01_relu", relu, relu_derivative)\n### BEGIN HIDDEN TESTS\n'
            f"assert np.allclose(relu_derivative(np.array([0.0, 5.0])), [0, 1])  # {TOY_HIDDEN}\n"
            "### END HIDDEN TESTS",
            metadata=_meta("l01_relu", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            "def neuron_forward(x, w, b):\n    ### BEGIN SOLUTION\n"
            "    z = float(np.dot(w, x) + b)\n    return z, max(z, 0.0)\n    ### END SOLUTION\n",
            metadata=_meta("l01_neuron_forward_answer", solution=True),
        ),
        new_code_cell(
            'check("l01_neuron_forward", neuron_forward)\n### BEGIN HIDDEN TESTS\n'
            f"assert neuron_forward(np.ones(2), np.ones(2), -5.0) == (-3.0, 0.0)  # {TOY_HIDDEN}\n"
            "### END HIDDEN TESTS",
            metadata=_meta("l01_neuron_forward", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            "def neuron_backward(x, z, a, target):\n    ### BEGIN SOLUTION\n"
            "    delta = 2.0 * (a - target) * float(z > 0)\n"
            "    return delta * np.asarray(x, dtype=float), delta\n    ### END SOLUTION\n",
            metadata=_meta("l01_neuron_backward_answer", solution=True),
        ),
        new_code_cell(
            'check("l01_neuron_backward", neuron_backward)',
            metadata=_meta("l01_neuron_backward", grade=True, locked=True, points=3),
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(nb, folder / notebook)


TOY = LessonPlan(
    assignment="00_toy_neuron",
    notebook="00_toy_neuron.ipynb",
    correct=L01.correct,
    wrong=L01.wrong,
    untouched=L01.untouched,
    diagnosis=L01.diagnosis,
    wrong_score=(0.0, 0.0),  # stock nbgrader: a failing test cell scores 0
    hidden_markers=(TOY_HIDDEN, "BEGIN HIDDEN TESTS"),
    feedback_hides_hidden=False,
)


# --------------------------------------------------------------------------- instructor


def hidden_test_lines(source_nb: Path) -> list[str]:
    """Every non-blank line between BEGIN/END HIDDEN TESTS in the source notebook's cells."""
    lines, inside = [], False
    for cell in nbformat.read(source_nb, as_version=4).cells:
        for line in cell.source.splitlines():
            if "### BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "### END HIDDEN TESTS" in line:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


class InstructorError(AssertionError):
    pass


@dataclass
class Instructor:
    """The instructor's course directory and tools (all commands run with the user's env).

    The lesson is graded with the project's `backprop-grade` (its exchange is
    <course>/exchange); the toy with stock nbgrader. Feedback goes back to the exchange with
    `nbgrader release_feedback` (backprop-grade writes feedback/ but does not release it).
    """

    user: JupyterUser
    course: Path
    toy: bool

    @staticmethod
    def exchange_of(course: Path) -> Path:
        return course / "exchange"

    @classmethod
    def create(cls, user: JupyterUser, course: Path, plan: LessonPlan, toy: bool) -> Instructor:
        course.mkdir(parents=True, exist_ok=True)
        if toy:
            write_toy_source(course, plan.assignment, plan.notebook)
            (course / "nbgrader_config.py").write_text(
                nbgrader_exchange_config(cls.exchange_of(course))
            )
        else:
            from autograder.grading.config import write_course_config

            shutil.copytree(REPO / "source" / plan.assignment, course / "source" / plan.assignment)
            # The course's config (repository nbgrader_config.py + this course's root, gradebook
            # and exchange): the formgrader and `nbgrader release_feedback` read it.
            write_course_config(course)
        return cls(user=user, course=course, toy=toy)

    def run(self, *args: str, timeout: float = 600) -> str:
        proc = subprocess.run(
            list(args),
            cwd=self.course,
            env=self.user.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        out = proc.stdout + proc.stderr
        with (self.user.base / "instructor-commands.log").open("a") as log:
            log.write(f"$ {' '.join(args)}\n{out}\n[exit {proc.returncode}]\n")
        if proc.returncode != 0:
            raise InstructorError(f"`{' '.join(args)}` failed ({proc.returncode}):\n{out[-4000:]}")
        return out

    def nbgrader(self, *args: str) -> str:
        return self.run(str(VENV_BIN / "nbgrader"), *args)

    def grade_tool(self, *args: str) -> str:
        tool = VENV_BIN / "backprop-grade"
        if not tool.exists():
            raise InstructorError(f"{tool} missing: run `make setup` (pip install -e .)")
        return self.run(str(tool), "--course-dir", str(self.course), "--no-progress", *args)

    def release(self, assignment: str) -> None:
        if self.toy:
            self.nbgrader("generate_assignment", assignment, "--force")
            self.nbgrader("release_assignment", assignment, "--force")
        else:
            self.grade_tool("release", assignment, "--exchange")

    def collect_and_autograde(self, assignment: str) -> str:
        if self.toy:
            return self.nbgrader("collect", assignment, "--update") + self.nbgrader(
                "autograde", assignment, "--force"
            )
        return self.grade_tool("collect", assignment) + self.grade_tool("autograde", assignment)

    def feedback(self, assignment: str) -> str:
        if self.toy:
            out = self.nbgrader("generate_feedback", assignment, "--force")
        else:
            out = self.grade_tool("feedback", assignment)
        return out + self.nbgrader("release_feedback", assignment)
