"""The student distribution (scripts/build_student_dist.py) ships no solution and no reference code,
and the release notebooks' visible checks pass with ONLY that wheel installed.

The last test runs the six release notebooks (with the source notebooks' solutions put into the
answer cells) in a python started with -I -S: sys.path = stdlib + the unzipped wheel + the venv's
site-packages added by hand, so no .pth file runs and the editable install's finder (which maps
`course` and `autograder` to the checkout) is absent. It proves `import course` fails there, that
`autograder.student` comes from the wheel, and that nothing tried to import `course` or
`autograder.grading` while the checks ran.
"""

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

from autograder.parsing import parse_python

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_student_dist.py"
LESSONS = [
    "01_single_neuron",
    "02_dense_layer",
    "03_sigmoid_net",
    "04_gradients_by_hand",
    "05_matrix_backprop",
    "06_gradient_check",
    "07_deep_network",
]
FORBIDDEN = ("course", "autograder.grading")


def load_script():
    spec = importlib.util.spec_from_file_location("build_student_dist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """(wheel, zip) built by the script's CLI into a temp dir."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--zip"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    wheel = out / f"backprop_checks-{version}-py3-none-any.whl"
    bundle = out / f"release-{version}.zip"
    assert wheel.is_file() and bundle.is_file(), sorted(p.name for p in out.iterdir())
    return wheel, bundle


def imported_modules(source):
    """Absolute module names a Python source imports (import x.y / from x.y import z)."""
    names = set()
    for node in ast.walk(parse_python(source)):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def is_forbidden(name):
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def test_wheel_holds_only_the_student_package(dist):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        texts = {n: zf.read(n).decode("utf-8") for n in names}
    payload = [n for n in names if ".dist-info/" not in n]
    outside = [
        n
        for n in payload
        if n != "autograder/__init__.py" and not n.startswith("autograder/student/")
    ]
    assert not outside, f"files outside autograder/student: {outside}"
    assert not [n for n in names if n.startswith(("course/", "autograder/grading"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # Everything the checks need is there: every lesson's spec module and fixture file.
    prefixes = ("l01", "l02", "l03", "l04", "l05", "l06", "l07")
    for prefix, lesson in zip(prefixes, LESSONS, strict=True):
        assert f"autograder/student/fixtures/{prefix}.json" in payload
        assert f"autograder/student/lessons/{prefix}_{lesson[3:]}.py" in payload
    for name, text in texts.items():
        assert "### BEGIN SOLUTION" not in text, name
        if name.endswith(".py"):
            bad = sorted(m for m in imported_modules(text) if is_forbidden(m))
            assert not bad, f"{name} imports {bad}"


def test_wheel_requirements_are_the_repos(dist):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as zf:
        meta = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    requires = [
        line.split(":", 1)[1].strip()
        for line in meta.splitlines()
        if line.startswith("Requires-Dist:")
    ]

    def norm(req):
        m = re.fullmatch(r"([A-Za-z0-9._-]+)\s*(.*)", req.strip())
        return m.group(1).lower(), ",".join(sorted(s.strip() for s in m.group(2).split(",") if s))

    got = dict(norm(r) for r in requires)
    assert sorted(got) == sorted(["numpy", "torch", "matplotlib", "tqdm", "jupyterlab", "nbgrader"])
    # pinned to the grader's locked versions (requirements-student.lock; torch without "+cpu")
    lock = dict(re.findall(r"^([a-z0-9._-]+)==(\S+)", (ROOT / "requirements-student.lock")
                           .read_text(), re.M))  # fmt: skip
    assert got == {n: f"=={lock[n].split('+')[0]}" for n in got}
    # ... which satisfy the repository's own specifiers
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for req in map(Requirement, project["dependencies"]):
        if req.name in got:
            assert req.specifier.contains(lock[req.name]), (req, lock[req.name])
    assert "Name: backprop-checks" in meta


def test_release_zip(dist):
    wheel, bundle = dist
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        top = {n.split("/", 1)[0] for n in names}
        assert len(top) == 1, top
        (top,) = top
        rel = sorted(n.split("/", 1)[1] for n in names)
        assert "STUDENT_README.md" in rel and wheel.name in rel
        notebooks = [n for n in rel if n.endswith(".ipynb")]
        assert notebooks == [f"{lesson}/{lesson}.ipynb" for lesson in LESSONS]
        lock = "requirements-student.lock"
        assert set(rel) == {"STUDENT_README.md", lock, wheel.name, *notebooks}
        assert zf.read(f"{top}/{lock}") == (ROOT / lock).read_bytes()
        for nb in notebooks:
            text = zf.read(f"{top}/{nb}").decode()
            assert "### BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text, nb
            assert text == (ROOT / "release" / nb).read_text(), f"{nb} differs from release/"
        readme = zf.read(f"{top}/STUDENT_README.md").decode()
        assert f"pip install {wheel.name}" in readme
        assert zf.read(f"{top}/{wheel.name}") == wheel.read_bytes()


def fake_root(tmp_path, planted):
    """A copy of the repo's shipped files + pyproject, with one extra student module."""
    root = tmp_path / "root"
    shutil.copytree(
        ROOT / "autograder" / "student",
        root / "autograder" / "student",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy2(ROOT / "autograder" / "__init__.py", root / "autograder" / "__init__.py")
    shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "autograder" / "student" / "leak.py").write_text(planted)
    return root


@pytest.mark.parametrize(
    "planted, message",
    [
        ("from course.losses import bce_with_logits\n", "imports course.losses"),
        ("import autograder.grading.solutions\n", "imports autograder.grading"),
        ("import importlib\nm = importlib.import_module('course')\n", "imports course"),
        (
            "def f(z):\n    ### BEGIN SOLUTION\n    return z\n    ### END SOLUTION\n",
            "BEGIN SOLUTION",
        ),
    ],
)
def test_build_refuses_reference_code(tmp_path, planted, message):
    mod = load_script()
    with pytest.raises(mod.DistError, match=re.escape(message)):
        mod.build_wheel(tmp_path / "out", root=fake_root(tmp_path, planted))
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_cli_error_is_one_line(tmp_path):
    (tmp_path / "release").mkdir()
    mod = load_script()
    with pytest.raises(mod.DistError, match="no lessons"):
        mod.release_files(tmp_path)
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def lesson_cells(lesson):
    """Code cells of the release notebook, answer cells replaced by the source's solutions."""
    release = json.loads((ROOT / "release" / lesson / f"{lesson}.ipynb").read_text())
    source = json.loads((ROOT / "source" / lesson / f"{lesson}.ipynb").read_text())
    solutions = {
        c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
        for c in source["cells"]
        if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("solution")
    }
    cells, visible = [], []
    for c in release["cells"]:
        if c["cell_type"] != "code":
            continue
        meta = c["metadata"].get("nbgrader", {})
        gid = meta.get("grade_id", "?")
        src = "".join(c["source"])
        if meta.get("solution"):
            assert gid in solutions, f"{lesson}: no solution for answer cell {gid} in source/"
            src = solutions[gid]
        if meta.get("grade"):
            visible += re.findall(r"^check\(\"(\w+)\"", src, flags=re.M)
        cells.append([gid, src])
    return cells, visible


RUNNER = textwrap.dedent(
    """
    import json, sys, time
    wheel_dir, site_dir, repo, cells_file, out_file = sys.argv[1:6]
    sys.path.insert(0, wheel_dir)
    sys.path.append(site_dir)  # by hand: no .pth file (editable finder) is processed
    result = {"editable_finders": [repr(f) for f in sys.meta_path if "ditable" in repr(f)]}

    for name in ("course", "autograder.grading"):
        try:
            __import__(name)
            result[name] = "imported"
        except ModuleNotFoundError:
            result[name] = "ModuleNotFoundError"

    attempts = []

    class Tripwire:  # first on sys.meta_path: logs every attempt, finds nothing itself
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name.split(".")[0] == "course" or name.startswith("autograder.grading"):
                attempts.append(name)
            return None

    sys.meta_path.insert(0, Tripwire)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import autograder
    import autograder.student

    result["autograder_file"] = autograder.__file__
    result["student_file"] = autograder.student.__file__
    real_check = autograder.student.check
    lessons = {}

    def counting_check(ex_id, *fns):
        try:
            real_check(ex_id, *fns)
        except BaseException as err:
            current["checks"].append([ex_id, f"{type(err).__name__}: {err}"])
            raise
        current["checks"].append([ex_id, "ok"])

    autograder.student.check = counting_check  # the setup cell's `from ... import check`
    for lesson, cells in json.load(open(cells_file)).items():
        current = lessons[lesson] = {"checks": [], "error": None}
        t0 = time.perf_counter()
        ns = {"__name__": "__main__"}
        for gid, src in cells:
            try:
                exec(compile(src, f"<{lesson}:{gid}>", "exec"), ns)
            except BaseException as err:
                current["error"] = f"cell {gid}: {type(err).__name__}: {err}"
                break
        plt.close("all")
        current["seconds"] = round(time.perf_counter() - t0, 2)

    result["lessons"] = lessons
    result["attempts"] = attempts
    result["course_in_sys_modules"] = sorted(
        m for m in sys.modules if m.split(".")[0] == "course" or m.startswith("autograder.grading")
    )
    result["repo_files"] = sorted(
        str(getattr(m, "__file__", None)) for m in list(sys.modules.values())
        if str(getattr(m, "__file__", None) or "").startswith(repo + "/")
        and not str(m.__file__).startswith(repo + "/.venv/")
    )
    json.dump(result, open(out_file, "w"))
    """
)


@pytest.mark.slow
def test_release_checks_pass_with_only_the_wheel(dist, tmp_path):
    wheel, _ = dist
    wheel_dir = tmp_path / "wheel"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(wheel_dir)
    site_dir = sysconfig.get_path("purelib")
    assert Path(site_dir).is_dir() and str(wheel_dir) not in site_dir

    cells, expected_checks = {}, {}
    for lesson in LESSONS:
        cells[lesson], expected_checks[lesson] = lesson_cells(lesson)
        assert len(expected_checks[lesson]) >= 3, f"{lesson}: too few visible checks"
    (tmp_path / "cells.json").write_text(json.dumps(cells))
    (tmp_path / "runner.py").write_text(RUNNER)
    work = tmp_path / "cwd"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "NBGRADER", "BACKPROP", "MPL"))
    }
    env["MPLBACKEND"] = "Agg"
    env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    proc = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            str(tmp_path / "runner.py"),
            str(wheel_dir),
            site_dir,
            str(ROOT),
            str(tmp_path / "cells.json"),
            str(tmp_path / "result.json"),
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())

    # The isolation holds: no editable finder, the reference and grader code are unreachable,
    # and the student package is the wheel's copy.
    assert result["editable_finders"] == []
    assert result["course"] == "ModuleNotFoundError"
    assert result["autograder.grading"] == "ModuleNotFoundError"
    assert Path(result["autograder_file"]).is_relative_to(wheel_dir)
    assert Path(result["student_file"]).is_relative_to(wheel_dir)

    for lesson in LESSONS:
        got = result["lessons"][lesson]
        assert got["error"] is None, f"{lesson}: {got['error']}\n{proc.stdout[-2000:]}"
        assert got["checks"] == [[ex, "ok"] for ex in expected_checks[lesson]], (lesson, got)

    # Nothing tried to reach reference/grader code while the lessons ran, nor loaded from the repo.
    assert result["attempts"] == []
    assert result["course_in_sys_modules"] == []
    assert result["repo_files"] == []
