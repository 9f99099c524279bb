"""Fixtures for the browser tests: isolated Jupyter users, real `jupyter lab` servers, Chromium.

Every Jupyter process started here gets its own HOME, JUPYTER_CONFIG_DIR, JUPYTER_DATA_DIR,
JUPYTER_RUNTIME_DIR and IPYTHONDIR under the test's tmp dir, a kernelspec that runs the
project's venv python, and a user setting that turns off the "Get Jupyter news?" toast. The
servers' logs are written to files, attached to the report (stderr) and copied to
artifacts/browser/ when a test fails.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from browser_env import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ConsoleLog, JupyterUser, LabServer

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    # Everything in this folder drives a browser and kernels: mark it so `-m "not browser"` works.
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Fixtures read item.rep_call at teardown to decide whether to attach the servers' logs.
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


def _missing(reason: str):
    hint = "run `make setup` (scripts/system-deps.sh installs chromium with apt when root)"
    message = f"browser test needs {reason}; {hint}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium + the playwright package; a skip (a failure under CI=true) if absent."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the Python package `playwright` (the dev extra of pyproject.toml)")
    if CHROMIUM:  # set explicitly: exactly that binary
        path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else None
    else:
        path = "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
        path = path or shutil.which("chromium")
    if not path:
        _missing(f"Chromium ({CHROMIUM or '/usr/bin/chromium or chromium on PATH'})")
    return path


@pytest.fixture(scope="session")
def artifacts_dir(chromium_path) -> Path:  # skip first, so a skip leaves old artifacts alone
    """artifacts/browser/ emptied once per session (git-ignored via `artifacts/`)."""
    if ARTIFACTS.exists():
        for old in ARTIFACTS.iterdir():
            if old.is_file():
                old.unlink()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --------------------------------------------------------------------------- Jupyter users


# --------------------------------------------------------------------------- lab servers


@pytest.fixture
def lab_servers(request, artifacts_dir):
    """Factory: start_lab(name, user, root_dir) -> LabServer; all stopped at teardown."""
    servers: list[LabServer] = []

    def start_lab(name: str, user: JupyterUser, root_dir: Path) -> LabServer:
        server = LabServer(name=name, user=user, root_dir=root_dir).start()
        servers.append(server)
        return server

    yield start_lab
    for server in servers:
        server.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is None or rep.failed:
        for log in {server.user.base / "instructor-commands.log" for server in servers}:
            if log.exists():  # the instructor's commands and their output
                shutil.copy(log, artifacts_dir / log.name)
        for server in servers:
            if server.log_path and server.log_path.exists():
                shutil.copy(server.log_path, artifacts_dir / server.log_path.name)
            sys.stderr.write(f"\n===== {server.name} jupyter lab log (tail) =====\n")
            sys.stderr.write(server.log_tail() + "\n")


# --------------------------------------------------------------------------- browser


@pytest.fixture
def browser_page(chromium_path, tmp_path, request, artifacts_dir):
    """(page, console) in a fresh persistent Chromium profile; console errors collected."""
    from browser_allowlist import CONSOLE_ALLOWLIST
    from playwright.sync_api import sync_playwright

    console = ConsoleLog(allow=CONSOLE_ALLOWLIST)
    profile = tmp_path / "chromium-profile"
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        context.set_default_timeout(30_000)
        page = context.pages[0] if context.pages else context.new_page()

        def on_console(msg):
            if msg.type == "error":
                loc = msg.location or {}
                console.add(f"console.error: {msg.text} [{loc.get('url', '')}]")

        def on_pageerror(exc):
            console.add(f"pageerror: {exc}")

        # Frames (formgrader iframe, HTML viewer) report through the page as well.
        page.on("console", on_console)
        page.on("pageerror", on_pageerror)
        try:
            yield page, console
        finally:
            rep = getattr(request.node, "rep_call", None)
            if rep is None or rep.failed:
                try:
                    page.screenshot(path=str(artifacts_dir / "99_failure.png"), timeout=10_000)
                except Exception:  # noqa: BLE001 - best effort on a broken page
                    pass
                (artifacts_dir / "console.log").write_text(
                    "\n".join(["ERRORS:", *console.errors, "ALLOWED:", *console.allowed])
                )
            context.close()
