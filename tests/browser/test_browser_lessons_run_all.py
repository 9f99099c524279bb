"""Every lesson, solutions in place, opened in real JupyterLab in headless Chromium: Run All
finishes with no error and every plot renders as an image.

One Lab server for all six (the source notebooks copied into its root); each lesson is opened
from the file browser, run with Run > Run All Cells, checked, and closed with its kernel shut
down. JupyterLab stops a Run All at the first error, so "every code cell has an execution
count" means "no cell raised".
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import nbformat
from browser_env import JupyterUser
from browser_ui import (
    SHORT,
    Shots,
    all_outputs_text,
    menu,
    open_in_filebrowser,
    open_lab,
    run_all,
    show_filebrowser,
    wait_kernel_idle,
    wait_notebook_open,
    wait_until,
)

REPO = Path(__file__).resolve().parents[2]
LESSONS = sorted(
    p for p in (REPO / "source").glob("[0-9][0-9]_*") if (p / f"{p.name}.ipynb").exists()
)


def _plots(path: Path) -> int:
    """Code cells that draw (plt.show()): each must end with at least one image."""
    nb = nbformat.read(str(path), as_version=4)
    return sum(1 for c in nb.cells if c.cell_type == "code" and "plt.show()" in c.source)


def back_to_root(page, folder: str) -> None:
    """The file browser back at the root, where `folder` is listed. The breadcrumb's home click
    is retried: under load one click can be lost while the closed notebook's tab goes away."""
    listed = page.locator(".jp-DirListing-itemText", has_text=re.compile(rf"^{re.escape(folder)}$"))

    def at_root():
        page.locator(".jp-BreadCrumbs-home").first.click()
        time.sleep(0.5)
        return listed.count() > 0

    wait_until(at_root, f"the file browser back at the root (listing '{folder}')", interval=1.0)


def test_every_lesson_runs_all_in_jupyterlab(tmp_path, lab_servers, browser_page, artifacts_dir):
    assert len(LESSONS) >= 6, LESSONS
    page, console = browser_page
    shots = Shots(artifacts_dir)
    user = JupyterUser("instructor", tmp_path / "instructor", tmp_path / "exchange")
    root = user.home / "lessons"
    for lesson in LESSONS:
        shutil.copytree(lesson, root / lesson.name)
    lab = lab_servers("lessons", user, user.home)
    open_lab(page, lab.url, lab.token)
    show_filebrowser(page)
    open_in_filebrowser(page, "lessons")
    for lesson in LESSONS:
        name = f"{lesson.name}.ipynb"
        open_in_filebrowser(page, lesson.name, name)
        nb = wait_notebook_open(page, name)
        wait_kernel_idle(page)
        counts = run_all(page, timeout_ms=240_000)
        shots.take(page, f"{lesson.name}_run_all")
        unrun = [i for i, p in enumerate(counts) if not re.search(r"\[\d+\]", p)]
        text = all_outputs_text(nb)
        assert not unrun, f"{lesson.name}: cells {unrun} did not run (an error stopped Run All)"
        assert "Traceback" not in text and "NotImplementedError" not in text, lesson.name
        wanted = _plots(lesson / name)
        images = nb.locator(".jp-OutputArea-output img[src^='data:image/png']")
        wait_until(lambda i=images, w=wanted: i.count() >= w, f"{wanted} plots in {name}", SHORT)
        menu(page, "File", "filemenu:close-and-cleanup")
        dialog = page.locator(".jp-Dialog")
        if dialog.count():  # "Shut down the kernel?" in some versions
            dialog.locator("button.jp-mod-accept").first.click()
        tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=name)
        wait_until(lambda t=tab: t.count() == 0, f"{name} closed", SHORT)
        back_to_root(page, "lessons")
        open_in_filebrowser(page, "lessons")
    assert not console.errors, console.errors
