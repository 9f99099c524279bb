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
    diagnosis: str  # regex the visible test's and the feedback's text must match (misconception)
    wrong_score: tuple[float, float]  # inclusive range the grader must give the wrong answer
    hidden_markers: tuple[str, ...]  # text of hidden tests that must never reach the student
    stub_error: str = "NotImplementedError"


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
            "    return max(z, 0.0), z\n"
        ),
        test_anchor='check("l01_neuron_forward"',
        points=2,
    ),
    # A known misconception: the derivative written as the activation itself.
    wrong=Answer(
        grade_id="l01_relu",
        answer_anchor="def relu(z):",
        source=(
            "def relu(z):\n"
            "    return np.maximum(0.0, np.asarray(z, dtype=float))\n"
            "\n"
            "\n"
            "def relu_derivative(z):\n"
            "    return np.maximum(0.0, np.asarray(z, dtype=float))\n"
        ),
        test_anchor='check("l01_relu"',
        points=2,
    ),
    diagnosis=r"(?is)activation",
    wrong_score=(0.0, 1.999),
    hidden_markers=('record("l01_relu"', 'record("l01_neuron_forward"', "BEGIN HIDDEN TESTS"),
)


# --------------------------------------------------------------------------- toy lesson

TOY_HIDDEN = "TOY_HIDDEN_TEST_c41e"

TOY_CHECK = '''"""A stand-in for autograder.student's check() (browser harness only)."""
import numpy as np

Z = np.array([[-1.5, 0.25, 2.0], [3.0, -0.5, 0.75]])


def check(ex_id, *fns):
    if ex_id == "l01_relu":
        relu, drelu = fns
        ok_a = np.allclose(relu(Z), np.maximum(0, Z))
        got = drelu(Z)
        ok_d = np.allclose(got, (Z > 0).astype(float))
        print("relu:", "\\u2714" if ok_a else "\\u2718")
        if ok_d:
            print("relu_derivative: \\u2714")
        elif np.allclose(got, np.maximum(0, Z)):
            print("relu_derivative: \\u2718 misconception: the derivative returns the "
                  "activation relu(z) instead of its slope (1 where z > 0) - reread 1.2")
        else:
            print("relu_derivative: \\u2718 wrong values")
        if not (ok_a and ok_d):
            raise AssertionError("l01_relu: see the diagnosis above")
    elif ex_id == "l01_neuron_forward":
        (f,) = fns
        a, z = f(np.array([1.0, -2.0, 3.0]), np.array([-3.0, -1.0, 2.0]), 1.0)
        ok = np.isclose(z, 6.0) and np.isclose(a, 6.0)
        print("a, z:", "\\u2714" if ok else "\\u2718")
        if not ok:
            raise AssertionError("l01_neuron_forward: wrong values")
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
            f"assert np.allclose(relu_derivative(np.array([-2.0, 5.0])), [0, 1])  # {TOY_HIDDEN}\n"
            "### END HIDDEN TESTS",
            metadata=_meta("l01_relu", grade=True, locked=True, points=2),
        ),
        new_code_cell(
            "def neuron_forward(x, w, b):\n    ### BEGIN SOLUTION\n"
            "    z = float(np.dot(w, x) + b)\n    return max(z, 0.0), z\n    ### END SOLUTION\n",
            metadata=_meta("l01_neuron_forward_answer", solution=True),
        ),
        new_code_cell(
            'check("l01_neuron_forward", neuron_forward)\n### BEGIN HIDDEN TESTS\n'
            f"assert neuron_forward(np.ones(2), np.ones(2), -5.0) == (0.0, -3.0)  # {TOY_HIDDEN}\n"
            "### END HIDDEN TESTS",
            metadata=_meta("l01_neuron_forward", grade=True, locked=True, points=2),
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
    diagnosis=r"(?is)misconception.*activation",
    wrong_score=(0.0, 0.0),  # stock nbgrader: a failing test cell scores 0
    hidden_markers=(TOY_HIDDEN, "BEGIN HIDDEN TESTS"),
)


# --------------------------------------------------------------------------- instructor


class InstructorError(AssertionError):
    pass


@dataclass
class Instructor:
    """The instructor's course directory and tools (all commands run with the user's env)."""

    user: JupyterUser
    course: Path

    @classmethod
    def create(cls, user: JupyterUser, plan: LessonPlan, toy: bool) -> Instructor:
        course = user.base / "course"
        course.mkdir(parents=True, exist_ok=True)
        config = ""
        if toy:
            write_toy_source(course, plan.assignment, plan.notebook)
        else:
            src = REPO / "source" / plan.assignment
            shutil.copytree(src, course / "source" / plan.assignment)
            config = (REPO / "nbgrader_config.py").read_text() + "\n"
        # The course's own config, then the exchange of this test (last assignment wins).
        (course / "nbgrader_config.py").write_text(config + nbgrader_exchange_config(user.exchange))
        return cls(user=user, course=course)

    @property
    def grading_tool(self) -> Path | None:
        tool = VENV_BIN / "backprop-grade"
        return tool if tool.exists() else None

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
        (self.user.base / "instructor-commands.log").open("a").write(
            f"$ {' '.join(args)}\n{out}\n[exit {proc.returncode}]\n"
        )
        if proc.returncode != 0:
            raise InstructorError(f"`{' '.join(args)}` failed ({proc.returncode}):\n{out[-4000:]}")
        return out

    def nbgrader(self, *args: str) -> str:
        return self.run(str(VENV_BIN / "nbgrader"), *args)

    def release(self, assignment: str) -> None:
        self.nbgrader("generate_assignment", assignment, "--force")
        self.nbgrader("release_assignment", assignment, "--force")

    def collect_and_autograde(self, assignment: str) -> str:
        out = self.nbgrader("collect", assignment, "--update")
        out += self.nbgrader("autograde", assignment, "--force")
        return out

    def feedback(self, assignment: str) -> str:
        out = self.nbgrader("generate_feedback", assignment, "--force")
        out += self.nbgrader("release_feedback", assignment)
        return out
