"""Playwright helpers for JupyterLab 4 + nbgrader's labextension (sync API).

Selectors and waits follow /work/shared/notes/browser-testing.md. Every wait is explicit and
bounded: the machine is small and shared, so timeouts are generous (a slow step costs time, a
missing element fails with a message naming what was awaited).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: without playwright the fixtures skip instead of erroring
    from playwright.sync_api import Locator, Page

# Bounded waits (ms). Kernel start and Run All share 2 cores with other jobs.
SHORT = 15_000
LONG = 90_000
KERNEL = 120_000

ACTIVE_NB = ".jp-NotebookPanel:not(.lm-mod-hidden)"


class UIError(AssertionError):
    """A UI step did not reach its expected state (message says which)."""


@dataclass
class Shots:
    """Numbered screenshots of every step: artifacts/browser/NN_step.png."""

    directory: Path
    n: int = 0
    taken: list[Path] = field(default_factory=list)

    def take(self, page: Page, step: str) -> Path:
        self.n += 1
        path = self.directory / f"{self.n:02d}_{step}.png"
        try:
            page.screenshot(path=str(path), full_page=False, timeout=SHORT)
            self.taken.append(path)
        except Exception:  # noqa: BLE001 - a screenshot must never be why a test fails
            pass
        return path


def wait_until(predicate, what: str, timeout_ms: int = LONG, interval: float = 0.25):
    """Poll `predicate()` (returns a truthy value when done) until the deadline."""
    deadline = time.monotonic() + timeout_ms / 1000
    last_exc: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - DOM may be mid-update; keep polling
            last_exc = exc
        time.sleep(interval)
    detail = f" (last error: {last_exc!r})" if last_exc else ""
    raise UIError(f"timed out after {timeout_ms / 1000:.0f}s waiting for {what}{detail}")


# --------------------------------------------------------------------------- Lab shell


def open_lab(page: Page, base_url: str, token: str) -> None:
    """Open /lab with a fresh workspace and wait for the shell and the menu bar."""
    page.goto(f"{base_url}/lab?reset&token={token}", timeout=LONG, wait_until="domcontentloaded")
    page.locator("#jp-main-dock-panel").wait_for(state="visible", timeout=LONG)
    page.locator(".lm-MenuBar-item", has_text="File").first.wait_for(timeout=LONG)
    # The launcher appears once the app is restored: a good sign the plugins are activated.
    page.locator(".jp-Launcher").first.wait_for(state="visible", timeout=LONG)


def menu(page: Page, top: str, command: str) -> None:
    """Click the top menu `top` and then the item bound to `command`."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(top)}$")).first.click()
    item = page.locator(f'.lm-Menu-item[data-command="{command}"]').first
    item.wait_for(state="visible", timeout=SHORT)
    item.click()


# --------------------------------------------------------------------------- file browser


def filebrowser_refresh(page: Page) -> None:
    page.locator('[data-command="filebrowser:refresh"]').first.click()


def open_in_filebrowser(page: Page, *parts: str) -> None:
    """Double-click through directories/files by name (the file browser must be shown)."""
    for name in parts:

        def find(name=name):
            filebrowser_refresh(page)
            item = page.locator(
                ".jp-DirListing-itemText", has_text=re.compile(rf"^{re.escape(name)}$")
            )
            return item.first if item.count() else None

        item = wait_until(find, f"'{name}' in the file browser", timeout_ms=LONG, interval=1.0)
        item.dblclick()
        time.sleep(0.5)


def show_filebrowser(page: Page) -> None:
    tab = page.locator('.lm-TabBar-tab[data-id="filebrowser"]').first
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    page.locator(".jp-DirListing").first.wait_for(state="visible", timeout=SHORT)


# --------------------------------------------------------------------------- notebook


def active_notebook(page: Page) -> Locator:
    return page.locator(ACTIVE_NB).first


def wait_notebook_open(page: Page, name: str) -> Locator:
    """Wait for the tab `name` to be current and its notebook rendered."""
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current", has_text=name)
    tab.first.wait_for(state="visible", timeout=LONG)
    nb = active_notebook(page)
    nb.locator(".jp-Cell").first.wait_for(state="visible", timeout=LONG)
    return nb


def wait_kernel_idle(page: Page, timeout_ms: int = KERNEL) -> str:
    """Kernel ready: a real kernel name in the toolbar and '| Idle' in the status bar."""

    def ready():
        nb = active_notebook(page)
        name = nb.locator(".jp-KernelName").first.inner_text(timeout=2_000).strip()
        status = page.locator("#jp-main-statusbar").inner_text(timeout=2_000)
        if name and name not in ("No Kernel", "Kernel") and "| Idle" in status:
            return name
        return None

    return wait_until(ready, "the notebook's kernel to be started and idle", timeout_ms)


def prompts(nb: Locator) -> list[str]:
    return [t.strip() for t in nb.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()]


def run_all(page: Page, timeout_ms: int = KERNEL) -> list[str]:
    """Run > Run All Cells, then wait until no cell is queued/running and the kernel is idle.

    JupyterLab stops a Run All at the first error (the later cells stay unexecuted), so the end
    is: no prompt reads '[*]:', the status bar says Idle, and the prompts stopped changing.
    """
    nb = active_notebook(page)
    before = prompts(nb)
    menu(page, "Run", "runmenu:run-all")

    def started():
        now = prompts(nb)
        return now != before or any("*" in p for p in now)

    wait_until(started, "Run All to start", timeout_ms=SHORT * 2)
    return wait_execution_done(page, timeout_ms)


def wait_execution_done(page: Page, timeout_ms: int = KERNEL) -> list[str]:
    nb = active_notebook(page)
    state = {"last": None, "since": 0.0}

    def done():
        now = prompts(nb)
        status = page.locator("#jp-main-statusbar").inner_text(timeout=2_000)
        if any("*" in p for p in now) or "| Idle" not in status:
            state["last"] = None
            return None
        if now != state["last"]:  # require two identical idle readings 1 s apart
            state["last"], state["since"] = now, time.monotonic()
            return None
        return now if time.monotonic() - state["since"] >= 1.0 else None

    return wait_until(done, "the kernel to finish executing", timeout_ms, interval=0.5)


def cell_by_text(nb: Locator, text: str) -> Locator:
    """The code cell whose input contains `text` (exactly one must match)."""
    cells = nb.locator(".jp-CodeCell").filter(
        has=nb.page.locator(".jp-InputArea-editor", has_text=text)
    )
    n = cells.count()
    if n != 1:
        raise UIError(f"expected exactly one code cell containing {text!r}, found {n}")
    return cells.first


def set_cell_source(page: Page, cell: Locator, source: str) -> None:
    """Replace a cell's code: click its editor, select all, insert the text at once.

    Typing key by key would let CodeMirror auto-indent each line (browser-testing.md).
    """
    cell.scroll_into_view_if_needed(timeout=SHORT)
    editor = cell.locator(".cm-content").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)
    want = source.strip().splitlines()[0].strip()
    wait_until(
        lambda: want in editor.inner_text(), f"the editor to show {want!r}", timeout_ms=SHORT
    )
    page.keyboard.press("Escape")  # command mode


def run_cell(page: Page, cell: Locator, timeout_ms: int = KERNEL) -> str:
    """Select `cell`, run it (Ctrl+Enter: stays on the cell), return its output text."""
    cell.scroll_into_view_if_needed(timeout=SHORT)
    cell.locator(".jp-InputPrompt").first.click()  # selects the cell in command mode
    before = cell.locator(".jp-InputPrompt").first.text_content().strip()
    page.keyboard.press("Control+Enter")

    def finished():
        now = cell.locator(".jp-InputPrompt").first.text_content().strip()
        return now != before and re.fullmatch(r"\[\d+\]:", now)

    wait_until(finished, "the cell to finish running", timeout_ms)
    return cell_output(cell)


def cell_output(cell: Locator) -> str:
    return "\n".join(cell.locator(".jp-OutputArea-output").all_text_contents())


def save(page: Page) -> None:
    page.keyboard.press("Control+S")
    wait_until(lambda: not active_tab_dirty(page), "the notebook to be saved", timeout_ms=SHORT * 2)


def active_tab_dirty(page: Page) -> bool:
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").first
    return "jp-mod-dirty" in (tab.get_attribute("class") or "")


# --------------------------------------------------------------------------- dialogs


def wait_dialog(page: Page, timeout_ms: int = KERNEL) -> tuple[str, str, Locator]:
    dialog = page.locator(".jp-Dialog").last
    dialog.wait_for(state="visible", timeout=timeout_ms)
    header = dialog.locator(".jp-Dialog-header").inner_text()
    body = dialog.locator(".jp-Dialog-body").inner_text()
    return header, body, dialog


def close_dialog(dialog: Locator) -> None:
    dialog.locator(".jp-Dialog-footer button").last.click()
    dialog.wait_for(state="detached", timeout=SHORT)


# --------------------------------------------------------------------------- nbgrader: student


def open_assignment_list(page: Page) -> Locator:
    menu(page, "Nbgrader", "nbgrader:open-assignment-list")
    panel = page.locator("#released_assignments_list").first
    panel.wait_for(state="attached", timeout=LONG)
    return page.locator(".lm-Widget", has=page.locator("#released_assignments_list")).last


def assignment_row(page: Page, list_id: str, assignment: str) -> Locator:
    """Wait for `assignment` in one of the lists (released/fetched/submitted); return its row."""
    row = page.locator(f"#{list_id} .list_item", has_text=assignment).first

    def present():
        if row.count() and row.is_visible():
            return True
        refresh = page.locator("#refresh_assignments_list").first
        if refresh.count():
            refresh.click()
        return False

    wait_until(present, f"'{assignment}' in #{list_id}", timeout_ms=LONG, interval=2.0)
    return row


def click_row_button(row: Locator, label: str) -> None:
    button = row.locator("button", has_text=re.compile(rf"^{re.escape(label)}$")).first
    button.wait_for(state="visible", timeout=SHORT)
    button.click()


def all_outputs_text(nb: Locator) -> str:
    return "\n".join(nb.locator(".jp-OutputArea-output").all_text_contents())
