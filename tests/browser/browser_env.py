"""Isolated Jupyter users, real `jupyter lab` servers and the console log (browser tests)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "browser"
VENV_BIN = REPO / ".venv" / "bin"
VENV_PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)
# Debian's Chromium (scripts/system-deps.sh); BACKPROP_CHROMIUM points elsewhere if needed.
CHROMIUM = os.environ.get("BACKPROP_CHROMIUM", "")
COURSE_ID = "backprop"

# Flags from browser-testing.md: without the networking ones Chromium keeps calling home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@dataclass
class JupyterUser:
    """An isolated Jupyter environment (a person: the student or the instructor)."""

    name: str
    base: Path
    exchange: Path

    def __post_init__(self):
        self.home = self.base / "home"
        self.config = self.base / "jupyter_config"
        self.data = self.base / "jupyter_data"
        self.runtime = self.base / "jupyter_runtime"
        self.ipython = self.base / "ipython"
        for d in (self.home, self.config, self.data, self.runtime, self.ipython):
            d.mkdir(parents=True, exist_ok=True)
        self._write_kernelspec()
        self._write_lab_settings()
        (self.config / "nbgrader_config.py").write_text(nbgrader_exchange_config(self.exchange))
        # Reuse the machine's matplotlib font cache when there is one: building it in a fresh
        # HOME costs seconds inside the first plotting cell.
        mpl_cache = Path.home() / ".cache" / "matplotlib"
        if mpl_cache.is_dir():
            shutil.copytree(mpl_cache, self.home / ".cache" / "matplotlib", dirs_exist_ok=True)

    def _write_kernelspec(self):
        # The user data dir comes first in the kernelspec search path, so this `python3` wins
        # over any other: the kernel is the project's venv python (ipykernel installed there).
        spec = self.data / "kernels" / "python3"
        spec.mkdir(parents=True, exist_ok=True)
        kernel = {
            "argv": [str(VENV_PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "metadata": {"debugger": True},
        }
        (spec / "kernel.json").write_text(json.dumps(kernel, indent=1))

    def _write_lab_settings(self):
        # User settings live under JUPYTER_CONFIG_DIR/lab/user-settings: no news toast, no
        # update check (the machine is offline and the toast covers the assignment list).
        notif = self.config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
        notif.mkdir(parents=True, exist_ok=True)
        (notif / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        # Keep every cell in the DOM: with Lab 4's notebook windowing, off-screen cells are
        # detached or not rendered, and their outputs cannot be read or waited for.
        tracker = self.config / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True, exist_ok=True)
        (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "IPYTHON", "NBGRADER", "BACKPROP_GRADING"))
        }
        env.update(
            HOME=str(self.home),
            JUPYTER_CONFIG_DIR=str(self.config),
            JUPYTER_DATA_DIR=str(self.data),
            JUPYTER_RUNTIME_DIR=str(self.runtime),
            IPYTHONDIR=str(self.ipython),
            MPLCONFIGDIR=str(self.home / ".cache" / "matplotlib"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
            # nbgrader needs `alembic` on PATH (nbgrader-facts.md); the venv's bin comes first.
            PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        env.pop("VIRTUAL_ENV", None)
        return env


def nbgrader_exchange_config(exchange: Path) -> str:
    return (
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.Exchange.path_includes_course = True\n"
    )


# --------------------------------------------------------------------------- lab servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabServer:
    name: str
    user: JupyterUser
    root_dir: Path
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    port: int = 0
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> LabServer:
        self.log_path = self.user.base / f"{self.name}-jupyterlab.log"
        for _attempt in range(3):  # another engineer's server may grab the port first
            self.port = _free_port()
            cmd = [
                str(VENV_PYTHON),
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.token={self.token}",
                f"--ServerApp.root_dir={self.root_dir}",
                "--LabApp.news_url=",
                "--ServerApp.open_browser=False",
            ]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.append("--allow-root")
            log = self.log_path.open("ab")
            # cwd = root_dir: the formgrader reads nbgrader_config.py from the server's cwd.
            self.proc = subprocess.Popen(
                cmd,
                cwd=self.root_dir,
                env=self.user.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise RuntimeError(f"jupyter lab ({self.name}) did not start:\n{self.log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                url = f"{self.url}/api/status?token={self.token}"
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # our own child, by its handle
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log_tail(self, n: int = 120) -> str:
        if not self.log_path or not self.log_path.exists():
            return "(no log)"
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])


@dataclass
class ConsoleLog:
    """Browser console errors and uncaught page errors, with an allowlist of harmless ones."""

    allow: list[tuple[str, str]]  # (substring of the message or its URL, why it is harmless)
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def add(self, text: str):
        if any(pat in text for pat, _why in self.allow):
            self.allowed.append(text)
        else:
            self.errors.append(text)
