"""The environment lock: requirements.lock -> .venv, exactly.

    python scripts/lockfile.py sync  [--python .venv/bin/python]   # what `make setup` runs
    python scripts/lockfile.py check [--python .venv/bin/python]   # exit 1 unless freeze == lock

requirements.lock (written by `make lock` with `uv pip compile --generate-hashes`) pins every
package of the environment, the project's and the dev extra's and their dependencies, with the
sha256 of every file that may be installed. `sync`:

1. installs the lock with `pip install --require-hashes --no-deps` (pip refuses any file whose
   hash is not in the lock, and no resolver runs: what is installed is what was locked);
2. uninstalls whatever the venv holds that the lock does not (a venv made before the lock);
3. installs the project itself, editable, with no dependencies and no build isolation (the build
   backend, setuptools, is in the lock too);
4. runs `check`: `pip freeze` must equal the lock, name for name and version for version.

torch is locked as the CPU build (`torch==2.13.0+cpu`). This machine's pip finds that wheel in
its find-links folder (/opt/wheels); elsewhere give pip the PyTorch CPU index, e.g.
`PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu make setup` (the hash in the lock is
the same file's).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
PROJECT = "backprop-course"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(path: Path = LOCK) -> dict[str, str]:
    """{canonical name: version} of every pin in a uv/pip-tools lock file."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _PIN.match(line)
        if m:
            out[canonical(m.group(1))] = m.group(2)
    if not out:
        raise SystemExit(f"error: {path} pins no package (run `make lock`)")
    return out


def frozen(python: str) -> dict[str, str]:
    """{canonical name: version} that `pip freeze --all` reports, the editable project left out."""
    res = subprocess.run(
        [python, "-m", "pip", "freeze", "--all", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = {}
    for line in res.stdout.splitlines():
        m = _PIN.match(line.strip())
        if m:
            out[canonical(m.group(1))] = m.group(2)
        elif line.strip() and not line.startswith("#"):
            out[line.strip()] = "?"  # a direct URL or path install: never in the lock
    return out


def differences(python: str, path: Path = LOCK) -> list[str]:
    """One line per package where the venv differs from the lock ([] when they agree)."""
    want, have = locked(path), frozen(python)
    have.pop(PROJECT, None)
    out = []
    for name in sorted(set(want) | set(have)):
        w, h = want.get(name), have.get(name)
        if w != h:
            out.append(f"{name}: locked {w or '(not locked)'}, installed {h or '(missing)'}")
    return out


def _pip(python: str, *args: str) -> None:
    subprocess.run([python, "-m", "pip", *args], check=True)


def sync(python: str, path: Path = LOCK) -> int:
    _pip(python, "install", "--quiet", "--require-hashes", "--no-deps", "-r", str(path))
    extra = sorted(set(frozen(python)) - set(locked(path)) - {PROJECT})
    if extra:
        print(f"removing packages the lock does not hold: {' '.join(extra)}")
        _pip(python, "uninstall", "--quiet", "--yes", *extra)
    _pip(python, "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", str(ROOT))
    _pip(python, "check")
    return check(python, path)


def check(python: str, path: Path = LOCK) -> int:
    diff = differences(python, path)
    if diff:
        print(f"error: the venv is not {path.name}:", *diff, sep="\n  ", file=sys.stderr)
        return 1
    print(f"venv == {path.name} ({len(locked(path))} packages)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("sync", "check"))
    parser.add_argument("--python", default=sys.executable, help="the venv's python")
    parser.add_argument("--lock", type=Path, default=LOCK)
    args = parser.parse_args(argv)
    return (sync if args.command == "sync" else check)(args.python, args.lock)


if __name__ == "__main__":
    sys.exit(main())
