"""backprop-grade: bad inputs give one clear line and exit code 2; --help; collection layouts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.grading.cli import app as cli
from autograder.grading.cli import collect
from autograder.grading.config import GradingError, lesson_preload
from tests import toy_course as toy


@pytest.fixture()
def course(tmp_path):
    info = toy.make_toy_course(tmp_path, {"alice": "full", "bob": "wrong"})
    return tmp_path, info


def _run(capsys, *argv):
    rc = cli.main(["--no-progress", *map(str, argv)])
    err = capsys.readouterr().err
    return rc, err


def _one_line_error(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1, err  # never a traceback wall
    assert "Traceback" not in err
    return lines[0]


def test_unknown_lesson(course, capsys):
    root, _ = course
    rc, err = _run(capsys, "--course-dir", root, "release", "07_transformers")
    assert rc == 2
    line = _one_line_error(err)
    assert "unknown lesson 07_transformers" in line and "toy_a" in line


def test_missing_course_dir(tmp_path, capsys):
    rc, err = _run(capsys, "--course-dir", tmp_path / "nope", "export")
    assert rc == 2
    assert "course directory not found" in _one_line_error(err)


def test_missing_submissions_folder(course, capsys):
    root, _ = course
    rc, err = _run(capsys, "--course-dir", root, "collect", "--from", root / "missing")
    assert rc == 2
    assert "no such folder or zip" in _one_line_error(err)


def test_not_a_zip(course, capsys):
    root, _ = course
    bad = root / "submissions-archive"  # no "zip" in the path: the message must say it
    bad.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    rc, err = _run(capsys, "--course-dir", root, "collect", "--from", bad)
    assert rc == 2
    assert "not a folder or a zip file" in _one_line_error(err)


def test_corrupt_zip(course, capsys, tmp_path):
    """A real zip whose member is damaged (bad CRC): one line naming the zip, no traceback."""
    root, _ = course
    good = tmp_path / "class.zip"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("alice/toy_a/toy_a.ipynb", "x" * 200)
    data = bytearray(good.read_bytes())
    at = data.index(b"x" * 200)
    data[at : at + 10] = b"y" * 10  # the stored bytes no longer match their CRC
    bad = tmp_path / "damaged-archive"
    bad.write_bytes(bytes(data))
    rc, err = _run(capsys, "--course-dir", root, "collect", "--from", bad)
    assert rc == 2
    line = _one_line_error(err)
    assert line.startswith("backprop-grade: error: bad zip ") and "Bad CRC-32" in line, line
    assert "Traceback" not in err


def test_db_unreachable(course, capsys):
    root, _ = course
    url = "postgresql://nobody@127.0.0.1:1/nowhere"
    rc, err = _run(capsys, "--course-dir", root, "--db-url", url, "export")
    assert rc == 2
    assert "gradebook unreachable" in _one_line_error(err)


def test_autograde_before_release(course, capsys):
    root, _ = course
    rc, err = _run(capsys, "--course-dir", root, "autograde")
    assert rc == 2
    assert "run `backprop-grade release` first" in _one_line_error(err)


def test_usage_error_exit_2(capsys):
    rc = None
    with pytest.raises(SystemExit) as exc:
        cli.main(["autograde", "--workers", "many"])
    rc = exc.value.code
    assert rc == 2


def test_help_has_examples():
    exe = Path(sys.executable).parent / "backprop-grade"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for word in ("release", "collect", "autograde", "feedback", "export", "report", "all"):
        # a line of the command list ("    all    release, collect, ..."), not any mention
        assert re.search(rf"^ {{4}}{word} {{2,}}\S", out, re.M), (word, out)
    assert "examples:" in out and "--db-url" in out


def test_unreadable_notebook_one_line_warning(course):
    root, info = course
    bad = info["submissions"] / "bob" / "toy_a" / "toy_a.ipynb"
    bad.write_text("{ not json")
    rep = collect.collect_from_tree(root, info["submissions"], info["lessons"])
    lines = [p for p in rep.problems if "bob/toy_a" in p]
    assert lines and all("\n" not in p for p in lines)
    assert any("unreadable notebook" in p for p in lines)


def test_zip_with_wrapping_folder_and_flat_names(course, tmp_path):
    root, info = course
    z = tmp_path / "class.zip"
    nb = nbformat.writes(nbformat.read(str(info["submissions"] / "alice/toy_a/toy_a.ipynb"), 4))
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("download/alice/toy_a/toy_a.ipynb", nb)
        zf.writestr("download/alice/toy_a/timestamp.txt", "2026-01-01 12:00:00.000000 UTC")
        zf.writestr("download/ps_bob_attempt_2026-01-02-10-00-00_toy_b.ipynb", nb)
    rep = collect.collect_from(root, z, info["lessons"])
    assert sorted(rep.copied) == [("alice", "toy_a"), ("bob", "toy_b")]
    ts = (root / "submitted/bob/toy_b/timestamp.txt").read_text()
    assert ts.startswith("2026-01-02 10:00:00")


def test_zip_rejects_path_traversal(course, tmp_path):
    root, info = course
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../../escape/toy_a/toy_a.ipynb", "{}")
    with pytest.raises(GradingError, match="unsafe path"):
        collect.collect_from(root, z, info["lessons"])


def test_malformed_timestamp_is_dropped(course):
    root, info = course
    (info["submissions"] / "alice/toy_a/timestamp.txt").write_text("yesterday-ish")
    rep = collect.collect_from_tree(root, info["submissions"], info["lessons"])
    assert any("timestamp" in p for p in rep.problems)


def test_lesson_preload_reads_the_source_imports(tmp_path):
    d = tmp_path / "source" / "x"
    d.mkdir(parents=True)
    nb = {
        "cells": [
            {"cell_type": "code", "source": "import numpy as np\nimport torch.nn as nn\n"},
            {"cell_type": "markdown", "source": "import matplotlib"},
        ]
    }
    (d / "x.ipynb").write_text(json.dumps(nb))
    assert lesson_preload(tmp_path, "x") == ("numpy", "torch")
