"""Similarity report: answer cells compared pairwise, per exercise, across the class.

Fingerprints are copydetect's (winnowed k-grams of the tokenised code, names replaced by
placeholders, so renaming variables or editing comments changes nothing). Two things are not
evidence and are removed before comparing, as MOSS and copydetect do:

- the release's own text of the cell (the stub, the signature and docstring it ships with);
- passages that many students share (``common_share`` of the class, at least ``common_min``):
  a short exercise with one natural solution is written identically by honest students.

A pair of students is listed for a lesson when at least ``min_cells`` of its answer cells match
(each at least ``cell_threshold`` of the smaller cell's distinctive code), the distinctive code
they share is at least ``threshold`` of the smaller submission's, and at least ``min_chars``
characters of normalised code: one shared cell is a coincidence or a common mistake written the
common way, a lesson's worth of them is not. Trivial answers are never evidence. It flags, never
changes a grade: the instructor reads the cells side by side.
"""

from __future__ import annotations

import html
import io
import itertools
import json
import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# copydetect tokenises with pygments and would log a warning per text cell
logging.getLogger("copydetect").setLevel(logging.ERROR)

K = 20  # k-gram length, in characters of normalised code (copydetect's noise threshold)
WINDOW = 5  # winnowing window: every shared passage of K + WINDOW - 1 characters is found


@dataclass
class Pair:
    lesson: str
    a: str
    b: str
    score: float  # shared distinctive code / the smaller submission's distinctive code
    shared_chars: int
    cells: list[tuple[str, str, str, float]] = field(default_factory=list)  # (cell id, a, b, sim)


def _fingerprint(text: str, is_code: bool, boilerplate=None):
    from copydetect import CodeFingerprint

    if not is_code:  # written answers: words, case and spacing ignored
        text = " ".join(text.lower().split())
    return CodeFingerprint(
        "answer.py",
        K,
        WINDOW,
        boilerplate=sorted(boilerplate or ()),
        filter=is_code,
        language="python" if is_code else None,
        fp=io.StringIO(text),
    )


def _answer_cells(path: Path) -> dict[str, tuple[str, bool]]:
    """grade_id -> (source, is_code) of the notebook's answer (solution) cells."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    cells = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution") or not meta.get("grade_id"):
            continue
        src = cell.get("source", "")
        cells[meta["grade_id"]] = (
            "".join(src) if isinstance(src, list) else src,
            cell.get("cell_type") == "code",
        )
    return cells


def compare_lesson(
    answers: dict[str, dict[str, tuple[str, bool]]],
    release: dict[str, tuple[str, bool]],
    threshold: float = 0.6,
    cell_threshold: float = 0.8,
    min_cells: int = 3,
    min_chars: int = 100,
    common_share: float = 0.2,
    common_min: int = 3,
) -> list[Pair]:
    """answers: student -> grade_id -> (source, is_code); release: grade_id -> (stub, is_code)."""
    lesson_pairs: dict[tuple[str, str], Pair] = {}
    coverage: dict[str, int] = Counter()
    per_cell: dict[str, dict[str, object]] = defaultdict(dict)  # cell -> student -> fingerprint
    common_limit = max(common_min, math.ceil(common_share * len(answers)))
    for gid in sorted({g for cells in answers.values() for g in cells}):
        stub_text, is_code = release.get(gid, ("", True))
        stub = _fingerprint(stub_text, is_code).hashes if stub_text.strip() else set()
        texts = {
            s: cells[gid][0]
            for s, cells in answers.items()
            if gid in cells and cells[gid][0].strip() != stub_text.strip()
        }
        first = {s: _fingerprint(t, is_code, stub) for s, t in texts.items()}
        counts = Counter(h for fp in first.values() for h in fp.hashes)
        common = stub | {h for h, c in counts.items() if c > common_limit}
        for s, t in texts.items():
            fp = _fingerprint(t, is_code, common) if common - stub else first[s]
            if fp.token_coverage:
                per_cell[gid][s] = fp
                coverage[s] += fp.token_coverage
    from copydetect import compare_files

    for gid, fps in per_cell.items():
        for a, b in itertools.combinations(sorted(fps), 2):
            overlap, (sim_a, sim_b), _ = compare_files(fps[a], fps[b])
            if not overlap:
                continue
            pair = lesson_pairs.setdefault((a, b), Pair("", a, b, 0.0, 0))
            pair.shared_chars += int(overlap)
            pair.cells.append(
                (gid, answers[a][gid][0], answers[b][gid][0], float(min(sim_a, sim_b)))
            )
    flagged = []
    need_cells = min(min_cells, len(release) or min_cells)
    for (a, b), pair in lesson_pairs.items():
        pair.score = pair.shared_chars / max(1, min(coverage[a], coverage[b]))
        matching = sum(1 for c in pair.cells if c[3] >= cell_threshold)
        if pair.score >= threshold and pair.shared_chars >= min_chars and matching >= need_cells:
            pair.cells.sort(key=lambda c: -c[3])
            flagged.append(pair)
    return sorted(flagged, key=lambda p: -p.score)


def similarity_report(
    course_dir: Path,
    lessons: list[str],
    release_dir: Path | None = None,
    notebooks: Path | None = None,
    **options,
) -> list[Pair]:
    """Pairs of students above the threshold, lesson by lesson, from <course>/autograded/ (the
    canonical notebooks: answer cells found by grade_id wherever the student moved them) or
    `notebooks` (<student>/<lesson>/*.ipynb)."""
    course_dir = Path(course_dir)
    release_dir = Path(release_dir) if release_dir else course_dir / "release"
    root = Path(notebooks) if notebooks else course_dir / "autograded"
    pairs: list[Pair] = []
    for lesson in lessons:
        stub_nb = next(iter(sorted((release_dir / lesson).glob("*.ipynb"))), None)
        release = _answer_cells(stub_nb) if stub_nb else {}
        answers = {}
        for path in sorted(root.glob(f"*/{lesson}/*.ipynb")):
            cells = _answer_cells(path)
            if cells:
                answers[path.parent.parent.name] = cells
        for pair in compare_lesson(answers, release, **options):
            pair.lesson = lesson
            pairs.append(pair)
    return pairs


def markdown(pairs: list[Pair], max_cells: int = 3) -> list[str]:
    """The class report's section: each pair, then its most similar cells side by side."""
    if not pairs:
        return ["No pair of submissions above the similarity threshold."]
    md = [
        "Flagged for a person to read, not penalised. Score: the share of the smaller "
        "submission's distinctive code (release text and passages common in the class removed) "
        "that the other also contains.",
        "",
        "| lesson | students | score | shared (chars) | most similar cells |",
        "|---|---|---:|---:|---|",
    ]
    for p in pairs:
        cells = ", ".join(f"{c[0]} ({c[3]:.0%})" for c in p.cells[:max_cells])
        md.append(f"| {p.lesson} | {p.a}, {p.b} | {p.score:.0%} | {p.shared_chars} | {cells} |")
    return md


def html_side_by_side(pairs: list[Pair], max_cells: int = 3) -> str:
    """Each flagged pair's most similar cells, in two columns (for report.html)."""
    out = []
    for p in pairs:
        out.append(
            f"<h3>{html.escape(p.lesson)}: {html.escape(p.a)} and {html.escape(p.b)} "
            f"({p.score:.0%})</h3>"
        )
        for gid, text_a, text_b, sim in p.cells[:max_cells]:
            out.append(
                f"<p>{html.escape(gid)} ({sim:.0%})</p><table class='sbs'><tr>"
                f"<th>{html.escape(p.a)}</th><th>{html.escape(p.b)}</th></tr><tr>"
                f"<td><pre>{html.escape(text_a)}</pre></td>"
                f"<td><pre>{html.escape(text_b)}</pre></td></tr></table>"
            )
    return "\n".join(out)
