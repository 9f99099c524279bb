"""pyproject.toml and environment.yml list the same pip requirements (names and specifiers)."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def parse(req):
    """'numpy>=1.26,<3' -> ('numpy', '<3,>=1.26'): canonical name, sorted specifier set."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*", req)
    assert m, f"cannot parse requirement {req!r}"
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    specs = ",".join(sorted(s.replace(" ", "") for s in m.group(2).split(",") if s.strip()))
    return name, specs


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [parse(r) for r in reqs]


def environment_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pips = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pips) == 1, "environment.yml should have exactly one pip: section"
    return [parse(r) for r in pips[0] if not r.strip().startswith("-e")]


def test_parse_requirement():
    assert parse("numpy>=1.26,<3") == ("numpy", "<3,>=1.26")
    assert parse("psycopg2_binary >= 2.9") == ("psycopg2-binary", ">=2.9")


def test_no_duplicates():
    for reqs in (pyproject_requirements(), environment_requirements()):
        names = [n for n, _ in reqs]
        assert len(names) == len(set(names)), names


def test_pyproject_and_environment_agree():
    py = dict(pyproject_requirements())
    env = dict(environment_requirements())
    assert sorted(py) == sorted(env), (
        f"only in pyproject: {sorted(set(py) - set(env))}; "
        f"only in environment.yml: {sorted(set(env) - set(py))}"
    )
    differ = {n: (py[n], env[n]) for n in py if py[n] != env[n]}
    assert not differ, f"specifiers differ (pyproject, environment.yml): {differ}"


def test_environment_installs_the_project_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pips = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "-e ." in [p.strip() for p in pips]


# ------------------------------------------------------------------------------ the lock
def _lockfile():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lockfile", ROOT / "scripts" / "lockfile.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_venv_is_exactly_the_lock():
    """`make setup` installed requirements.lock, nothing more, nothing less (pip freeze --all)."""
    import sys

    lockfile = _lockfile()
    assert sys.prefix != sys.base_prefix, "tests run in the project's venv (make test)"
    assert lockfile.differences(sys.executable) == []


def test_lock_satisfies_pyproject_and_pins_hashes():
    from packaging.requirements import Requirement
    from packaging.version import Version

    lock = _lockfile().locked(ROOT / "requirements.lock")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for req in project["dependencies"] + project["optional-dependencies"]["dev"]:
        r = Requirement(req)
        name = parse(req)[0]
        assert name in lock, f"{name} is not in requirements.lock: run make lock"
        assert r.specifier.contains(Version(lock[name]), prereleases=True), (
            f"requirements.lock has {name}=={lock[name]}, pyproject.toml wants {req}: make lock"
        )
    text = (ROOT / "requirements.lock").read_text()
    blocks = [b for b in re.split(r"\n(?=\S)", text) if re.match(r"[A-Za-z0-9]", b)]
    assert len(blocks) == len(lock)
    assert all("--hash=sha256:" in b for b in blocks), "every pin carries its hashes"


def test_lock_is_the_cpu_build_of_torch():
    lock = _lockfile().locked(ROOT / "requirements.lock")
    assert lock["torch"] == "2.13.0+cpu"
    assert not [n for n in lock if n.startswith(("nvidia-", "triton"))], "a CUDA torch crept in"


def test_student_lock_is_a_subset_of_the_lock():
    lockfile = _lockfile()
    lock = lockfile.locked(ROOT / "requirements.lock")
    student = lockfile.locked(ROOT / "requirements-student.lock")
    assert {"numpy", "torch", "nbgrader", "jupyterlab"} <= set(student)
    assert {n: lock.get(n) for n in student} == student
