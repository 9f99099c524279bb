"""Build what students receive: a wheel with the visible checks, and optionally a release zip.

    python scripts/build_student_dist.py [--out dist] [--zip]

dist/backprop_checks-<version>-py3-none-any.whl holds ONLY autograder/__init__.py and
autograder/student/** (checks, exercise specs, worked-example fixtures): no course/ (the reference
implementations) and no autograder/grading. It depends on what the lessons import (numpy, torch,
matplotlib, tqdm) plus jupyterlab and nbgrader (Assignment List / Validate), with the specifiers
of the repo's pyproject.toml (read from it, never duplicated here).

--zip also writes dist/release-<version>.zip: release/NN_name/* + the wheel + STUDENT_README.md.

The wheel is built offline: the files are staged into a temp dir with a generated minimal
pyproject.toml and built by setuptools' PEP 517 backend (setuptools>=68 ships bdist_wheel) in a
subprocess of this interpreter. The staged files are checked before building: no import of
`course` or `autograder.grading`, no solution markers.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST_NAME = "backprop-checks"
# What a student's environment needs: the lessons' imports + JupyterLab + nbgrader's extensions.
STUDENT_REQUIREMENTS = ("numpy", "torch", "matplotlib", "tqdm", "jupyterlab", "nbgrader")
FORBIDDEN_IMPORTS = ("course", "autograder.grading")
# nbgrader's delimiters. No shipped file may hold a solution block; release notebooks may hold
# no hidden tests either (spec.py's docstring shows a test cell, hidden markers included).
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
NOTEBOOK_MARKERS = SOLUTION_MARKERS + ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class DistError(Exception):
    """A problem that stops the build; main() prints it as one line."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_project(root: Path = ROOT) -> dict:
    """The [project] table of the repo's pyproject.toml."""
    path = root / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as err:
        raise DistError(f"cannot read [project] from {path}: {err}") from None


def student_requirements(project: dict, root: Path | None = None) -> list[str]:
    """The repo's requirement strings for STUDENT_REQUIREMENTS, in that order.

    With root given and root/requirements-student.lock present (`make lock` writes it), each is
    pinned to the locked version (`numpy==2.3.4`; a local label such as torch's `+cpu` dropped,
    so that the wheel installs on every OS): students get the grader's versions.
    """
    by_name = {}
    for req in project.get("dependencies", []):
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
        if m:
            by_name[canonical(m.group(1))] = req.strip()
    missing = [n for n in STUDENT_REQUIREMENTS if n not in by_name]
    if missing:
        raise DistError(f"pyproject.toml [project].dependencies lacks {', '.join(missing)}")
    lock = locked_versions(root) if root is not None else {}
    if lock:
        absent = [n for n in STUDENT_REQUIREMENTS if n not in lock]
        if absent:
            raise DistError(f"{STUDENT_LOCK} lacks {', '.join(absent)}: run `make lock`")
        return [f"{n}=={lock[n].split('+')[0]}" for n in STUDENT_REQUIREMENTS]
    return [by_name[n] for n in STUDENT_REQUIREMENTS]


STUDENT_LOCK = "requirements-student.lock"


def locked_versions(root: Path) -> dict[str, str]:
    """{canonical name: version} pinned in root/requirements-student.lock ({} if absent)."""
    path = root / STUDENT_LOCK
    if not path.exists():
        return {}
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", path.read_text(), re.M)
    return {canonical(n): v for n, v in pins}


def student_files(root: Path = ROOT) -> list[Path]:
    """Shipped files, relative to root: autograder/__init__.py + autograder/student/**."""
    pkg = root / "autograder" / "student"
    if not (pkg / "__init__.py").is_file():
        raise DistError(f"{pkg}/__init__.py not found")
    files = [Path("autograder/__init__.py")]
    for path in sorted(pkg.rglob("*")):
        rel = path.relative_to(root)
        if (
            not path.is_file()
            or "__pycache__" in rel.parts
            or any(p.startswith(".") for p in rel.parts)
        ):
            continue
        if path.suffix in (".py", ".json"):
            files.append(rel)
    if not any(f.suffix == ".json" for f in files):
        raise DistError(f"no fixtures in {pkg / 'fixtures'} (run scripts/make_fixtures.py)")
    return files


def forbidden_imports(source: str, filename: str) -> list[str]:
    """Modules from FORBIDDEN_IMPORTS that `source` imports (statically), e.g. ['course.losses']."""
    from autograder.parsing import parse_python  # CPython 3.11's gh-106905: see there

    try:
        tree = parse_python(source, filename=filename)
    except SyntaxError as err:
        raise DistError(f"{filename}: syntax error: {err.msg} (line {err.lineno})") from None
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]  # importlib.import_module("course...")
        for name in names:
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS):
                found.append(name)
    return found


def audit_source(rel: Path, text: str) -> None:
    """Refuse to ship a file that imports reference code or carries solution markers."""
    for marker in SOLUTION_MARKERS:
        if marker in text:
            raise DistError(f"{rel} contains {marker!r}: refusing to ship it to students")
    if rel.suffix == ".py":
        bad = forbidden_imports(text, str(rel))
        if bad:
            raise DistError(f"{rel} imports {bad[0]} (reference/grader code): refusing to ship it")


def staged_pyproject(project: dict, requirements: list[str], packages: list[str]) -> str:
    """A minimal pyproject.toml for the student wheel."""
    version = project.get("version")
    if not version:
        raise DistError("pyproject.toml [project] has no version")
    return "\n".join(
        [
            "[build-system]",
            'requires = ["setuptools>=68"]',
            'build-backend = "setuptools.build_meta"',
            "",
            "[project]",
            f"name = {json.dumps(DIST_NAME)}",
            f"version = {json.dumps(version)}",
            'description = "Visible checks for the backprop course notebooks (no solutions)"',
            f"requires-python = {json.dumps(project.get('requires-python', '>=3.11'))}",
            f"dependencies = {json.dumps(requirements)}",
            "",
            "[tool.setuptools]",
            f"packages = {json.dumps(packages)}",
            "include-package-data = false",
            "",
            "[tool.setuptools.package-data]",
            '"autograder.student" = ["fixtures/*.json"]',
            "",
        ]
    )


def stage(root: Path, dest: Path) -> tuple[dict, list[str]]:
    """Copy the shipped files into dest and write its pyproject.toml; returns (project, files)."""
    project = read_project(root)
    requirements = student_requirements(project, root)
    files = student_files(root)
    packages = []
    for rel in files:
        text = (root / rel).read_text(encoding="utf-8")
        audit_source(rel, text)
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest / rel)
        if rel.name == "__init__.py":
            packages.append(".".join(rel.parent.parts))
    (dest / "pyproject.toml").write_text(
        staged_pyproject(project, requirements, sorted(packages)), encoding="utf-8"
    )
    return project, [r.as_posix() for r in files]


_BUILD = """
import sys
from setuptools import build_meta
print(build_meta.build_wheel(sys.argv[1]))
"""


def build_wheel(out_dir: Path, root: Path = ROOT) -> Path:
    """Build dist/backprop_checks-<version>-py3-none-any.whl into out_dir; returns its path."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        import setuptools  # noqa: F401  (the backend runs in a subprocess; fail early and clearly)
    except ImportError:
        raise DistError(
            f"setuptools>=68 is needed in {sys.executable} to build the wheel"
        ) from None
    with tempfile.TemporaryDirectory(prefix="student-dist-") as tmp:
        stage_dir = Path(tmp) / "src"
        wheel_dir = Path(tmp) / "wheel"
        stage_dir.mkdir()
        wheel_dir.mkdir()
        project, files = stage(root, stage_dir)
        proc = subprocess.run(
            [sys.executable, "-c", _BUILD, str(wheel_dir)],
            cwd=stage_dir,
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise DistError(f"setuptools could not build the wheel: {last}")
        name = proc.stdout.strip().splitlines()[-1]
        expected = f"{DIST_NAME.replace('-', '_')}-{project['version']}-py3-none-any.whl"
        if name != expected:
            raise DistError(f"setuptools built {name!r}, expected {expected!r}")
        wheel = wheel_dir / name
        verify_wheel(wheel, files)
        target = out_dir / name
        shutil.copy2(wheel, target)
    return target


def verify_wheel(wheel: Path, files: list[str]) -> None:
    """The wheel holds exactly the staged files (+ its .dist-info), nothing else."""
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if ".dist-info/" not in n]
    extra = sorted(set(names) - set(files))
    missing = sorted(set(files) - set(names))
    if extra or missing:
        raise DistError(
            f"wheel content differs from the staged files: extra {extra}, missing {missing}"
        )


def student_readme(version: str, wheel_name: str, lessons: list[str]) -> str:
    listing = "\n".join(f"- `{name}/`" for name in lessons)
    return f"""# Backpropagation course — student kit (version {version})

This folder holds the lesson notebooks and `{wheel_name}`, the package that runs the notebooks'
checks (`from autograder.student import check`). It contains no solutions.

## Install (once)

Python 3.11 is required.

```bash
python3.11 -m venv backprop-env
source backprop-env/bin/activate            # Windows: backprop-env\\Scripts\\activate
pip install {wheel_name}
```

This also installs numpy, torch, matplotlib, tqdm, JupyterLab and nbgrader, at the versions the
course grades with. On Linux (x86_64), install the exact environment of the graders instead,
every file checked against its hash, with the small CPU build of torch:

```bash
pip install --require-hashes -r {STUDENT_LOCK} --extra-index-url https://download.pytorch.org/whl/cpu
pip install --no-deps {wheel_name}
```

## Work

```bash
jupyter lab
```

Open a lesson notebook, run the setup cell at the top, then work through the exercises: replace
each `raise NotImplementedError()` with your code and run the `check(...)` cell below it. A check
prints what is right and what is wrong (wrong shape, missing transpose, a known misconception and
the section that explains it). Written answers go in the cells marked `YOUR ANSWER HERE`.

Lessons:

{listing}

Before you submit, restart the kernel and run all cells, or press *Validate* in the notebook's
toolbar (nbgrader; `nbgrader validate NN_name.ipynb` on the command line), to make sure the
notebook runs from top to bottom. Grading runs your functions on other inputs than the visible
checks' worked example: make them correct in general, not just for the example.
"""


def release_files(root: Path = ROOT) -> list[Path]:
    """Files of release/NN_name/ (relative to root), checked for solutions and hidden tests."""
    release = root / "release"
    lessons = sorted(p for p in release.glob("[0-9][0-9]_*") if p.is_dir())
    if not lessons:
        raise DistError(f"no lessons in {release} (run `make release`)")
    files = []
    for lesson in lessons:
        for path in sorted(lesson.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or any(
                p.startswith(".") or p == "__pycache__" for p in rel.parts
            ):
                continue
            if path.suffix == ".ipynb":
                text = path.read_text(encoding="utf-8")
                for marker in NOTEBOOK_MARKERS:
                    if marker in text:
                        raise DistError(f"{rel} contains {marker!r}: regenerate release/")
            files.append(rel)
    return files


def build_zip(wheel: Path, out_dir: Path, root: Path = ROOT) -> Path:
    """dist/release-<version>.zip: release/NN_name/* + the wheel + STUDENT_README.md."""
    version = read_project(root)["version"]
    files = release_files(root)
    lessons = sorted({f.parts[1] for f in files})
    target = Path(out_dir).resolve() / f"release-{version}.zip"
    top = f"backprop-course-{version}"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/STUDENT_README.md", student_readme(version, wheel.name, lessons))
        zf.write(wheel, f"{top}/{wheel.name}")
        if (root / STUDENT_LOCK).exists():
            zf.write(root / STUDENT_LOCK, f"{top}/{STUDENT_LOCK}")
        for rel in files:
            zf.write(root / rel, f"{top}/{Path(*rel.parts[1:]).as_posix()}")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output dir (dist/)")
    parser.add_argument("--zip", action="store_true", help="also write release-<version>.zip")
    parser.add_argument("--root", type=Path, default=ROOT, help="course repo (default: this one)")
    parser.add_argument(
        "--print-requirements",
        action="store_true",
        help="print the students' requirements (pyproject.toml specifiers; `make lock` input)",
    )
    args = parser.parse_args(argv)
    if args.print_requirements:
        try:
            print(*student_requirements(read_project(args.root)), sep="\n")
        except DistError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    try:
        wheel = build_wheel(args.out, root=args.root)
        print(f"wrote {wheel}")
        if args.zip:
            print(f"wrote {build_zip(wheel, args.out, root=args.root)}")
    except DistError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
