"""The class report: per-exercise scores, frequent misconceptions, integrity flags, a plot.

Inputs: the gradebook (scores, via export.read_grades) and the autograded notebooks, where
TrustedScores leaves a machine-readable verdict in each test cell (a display_data output of mime
`application/vnd.backprop.verdict+json`, or `cell.metadata["backprop"]["verdict"]`; see
/work/shared/notes/h4-grading-interfaces.md). Outputs in <out>/: report.md, report.html,
scores.png (score distribution per lesson: box plot + one dot per student).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.reporting.export import Grades
from autograder.student.contract import VERDICT_MIME


@dataclass
class ClassInsights:
    # misconception id -> list of (student, lesson, exercise)
    misconceptions: dict[str, list[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # (student, lesson, code, reason)
    integrity: list[tuple[str, str, str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)


_DIAG_HEAD = re.compile(r"^(l\d\d_\w+) \(\u00a7")


def _catalogue() -> dict:
    """Every catalogue entry, the lessons' own included: their solution modules define() them
    on import, so they are imported here (a fresh `backprop-grade report` process has not)."""
    from autograder.grading import solutions
    from autograder.grading.scoring import misconceptions as cat

    solutions.load_all()
    return dict(cat.CATALOGUE)


def _verdicts_of_cell(cell, catalogue: dict | None = None) -> list[dict]:
    found = []
    md = cell.get("metadata", {}).get("backprop", {})
    if isinstance(md, dict) and isinstance(md.get("verdict"), dict):
        found.append(md["verdict"])
    elif isinstance(md, dict) and "misconceptions" in md:  # TrustedScores' cell summary
        found.append(md)
    for out in cell.get("outputs", []):
        data = out.get("data") or {}
        v = data.get(VERDICT_MIME)
        if isinstance(v, str):
            try:
                v = json.loads(v)
            except ValueError:
                v = None
        if isinstance(v, dict):
            found.append(v)
    if not found and catalogue:
        # Metadata cleared (ClearMetadataPreprocessor): read TrustedScores' diagnosis text,
        # which names misconceptions by their catalogue title.
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream":
                continue
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            m = _DIAG_HEAD.match(text)
            if not m:
                continue
            hits = [
                mid
                for mid, entry in catalogue.items()
                if (title := getattr(entry, "title", None)) and title in text
            ]
            found.append({"exercise": m.group(1), "misconceptions": hits})
    return found[-1:]  # the last verdict is the one TrustedScores wrote


def scan_autograded(course_dir: Path, lessons: list[str]) -> ClassInsights:
    """Misconceptions and integrity flags from autograded/<student>/<lesson>/*.ipynb."""
    ins = ClassInsights()
    catalogue = _catalogue()
    root = Path(course_dir) / "autograded"
    if not root.is_dir():
        return ins
    for sdir in sorted(p for p in root.iterdir() if p.is_dir()):
        for lesson in lessons:
            for path in sorted((sdir / lesson).glob("*.ipynb")):
                try:
                    nb = json.loads(path.read_text())
                except (OSError, ValueError):
                    ins.unreadable.append((sdir.name, lesson))
                    continue
                meta = nb.get("metadata", {}).get("backprop", {})
                for flag in (meta.get("integrity") or []) if isinstance(meta, dict) else []:
                    if isinstance(flag, dict):
                        ins.integrity.append(
                            (sdir.name, lesson, str(flag.get("code")), str(flag.get("reason")))
                        )
                for cell in nb.get("cells", []):
                    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
                    for v in _verdicts_of_cell(cell, catalogue):
                        mis = list(v.get("misconceptions") or [])
                        comps = v.get("components") or {}
                        for comp in comps.values() if isinstance(comps, dict) else []:
                            if isinstance(comp, dict) and comp.get("misconception"):
                                mis.append(comp["misconception"])
                        for m in dict.fromkeys(str(x) for x in mis):
                            ins.misconceptions[m].append(
                                (sdir.name, lesson, v.get("exercise") or gid)
                            )
                    for out in cell.get("outputs", []):
                        if out.get("output_type") == "error" and out.get("ename") == "SandboxError":
                            ins.integrity.append(
                                (sdir.name, lesson, "sandbox", str(out.get("evalue", ""))[:120])
                            )
    _integrity_fragments(Path(course_dir), lessons, ins)
    return ins


def _integrity_fragments(course_dir: Path, lessons: list[str], ins: ClassInsights) -> None:
    """Flags written by integrity.py: integrity/<lesson>/<student>/*.json = {"flags": [...]}."""
    root = course_dir / "integrity"
    seen = {(s, lesson, code, reason) for s, lesson, code, reason in ins.integrity}
    for frag in sorted(root.glob("*/*/*.json")) if root.is_dir() else []:
        lesson, student = frag.parent.parent.name, frag.parent.name
        if lesson not in lessons:
            continue
        try:
            flags = json.loads(frag.read_text()).get("flags", [])
        except (OSError, ValueError, AttributeError):
            continue
        for flag in flags if isinstance(flags, list) else []:
            if not isinstance(flag, dict):
                continue
            item = (student, lesson, str(flag.get("code")), str(flag.get("reason", ""))[:160])
            if item not in seen:
                seen.add(item)
                ins.integrity.append(item)


def misconception_label(mid: str) -> str:
    """Name (and lesson section) from the catalogue when available, else the id."""
    entry = _catalogue().get(mid)
    if entry is None:
        return mid
    get = entry.get if isinstance(entry, dict) else lambda k, d=None: getattr(entry, k, d)
    name, section = get("title", None) or get("name", None), get("section", None)
    label = name or mid
    return f"{label} (§{section})" if section else label


def exercise_stats(g: Grades) -> list[dict]:
    """Per exercise: mean points, max points, % of submitters with full marks."""
    rows = []
    for lesson in g.lessons:
        submitted = [s for s in g.students if g.scores.get((s, lesson)) is not None]
        for ex in g.exercises[lesson]:
            mx = g.max_points[(lesson, ex)]
            vals = [g.cell_scores.get((s, lesson, ex)) for s in submitted]
            vals = [v for v in vals if v is not None]
            n = len(vals)
            mean = sum(vals) / n if n else float("nan")
            full = sum(1 for v in vals if mx > 0 and v >= mx - 1e-9)
            rows.append(
                {
                    "lesson": lesson,
                    "exercise": ex,
                    "max": mx,
                    "n": n,
                    "mean": mean,
                    "full_pct": 100.0 * full / n if n else float("nan"),
                }
            )
    return rows


def lesson_means(g: Grades) -> dict[str, float]:
    out = {}
    for lesson in g.lessons:
        vals = [g.scores[(s, lesson)] for s in g.students if g.scores.get((s, lesson)) is not None]
        out[lesson] = sum(vals) / len(vals) if vals else float("nan")
    return out


def plot_scores(g: Grades, path: Path) -> Path:
    """Box plot of % score per lesson with one jittered dot per student; saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    data, labels = [], []
    for lesson in g.lessons:
        mx = g.lesson_max.get(lesson) or 1.0
        vals = [
            100.0 * g.scores[(s, lesson)] / mx
            for s in g.students
            if g.scores.get((s, lesson)) is not None
        ]
        data.append(vals)
        labels.append(f"{lesson}\n(n={len(vals)})")
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(labels)), 4.2))
    ax.boxplot([d if d else [np.nan] for d in data], widths=0.5, showfliers=False)
    rng = np.random.default_rng(0)
    for i, vals in enumerate(data, start=1):
        if vals:
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(vals)), vals, s=14, alpha=0.7, zorder=3)
    ax.set_xticks(range(1, len(labels) + 1), labels, fontsize=8)
    ax.set_ylabel("score (% of lesson points)")
    ax.set_ylim(-5, 105)
    ax.set_title("Score distribution per lesson")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def top_misconceptions(ins: ClassInsights, k: int = 10) -> list[tuple[str, int, int]]:
    """(id, occurrences, distinct students) sorted by distinct students then occurrences."""
    rows = []
    for mid, hits in ins.misconceptions.items():
        rows.append((mid, len(hits), len({h[0] for h in hits})))
    rows.sort(key=lambda r: (-r[2], -r[1], r[0]))
    return rows[:k]


def write_report(
    g: Grades,
    ins: ClassInsights,
    out_dir: Path,
    failures: list[str] | None = None,
    similar: list | None = None,
) -> dict[str, Path]:
    """report.md, report.html, scores.png in out_dir; returns their paths. `similar`: the pairs
    of similarity.similarity_report (None: the section is left out)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot_scores(g, out_dir / "scores.png")
    stats = exercise_stats(g)
    means = lesson_means(g)
    tops = top_misconceptions(ins)
    md = ["# Class report", ""]
    md.append(f"{len(g.students)} students, {len(g.lessons)} lessons.")
    md += ["", "## Lessons", "", "| lesson | submitted | mean | max |", "|---|---:|---:|---:|"]
    for lesson in g.lessons:
        n = sum(1 for s in g.students if g.scores.get((s, lesson)) is not None)
        md.append(f"| {lesson} | {n} | {means[lesson]:.2f} | {g.lesson_max[lesson]:g} |")
    md += [
        "",
        "## Exercises",
        "",
        "| lesson | exercise | max | mean | % full marks |",
        "|---|---|---:|---:|---:|",
    ]
    for r in stats:
        md.append(
            f"| {r['lesson']} | {r['exercise']} | {r['max']:g} | {r['mean']:.2f} | "
            f"{r['full_pct']:.0f}% |"
        )
    md += ["", "## Most frequent misconceptions", ""]
    if tops:
        md += ["| misconception | students | occurrences | where |", "|---|---:|---:|---|"]
        for mid, occ, nstud in tops:
            where = Counter(f"{h[2]}" for h in ins.misconceptions[mid]).most_common(3)
            md.append(
                f"| {misconception_label(mid)} | {nstud} | {occ} | "
                f"{', '.join(f'{w} ({c})' for w, c in where)} |"
            )
    else:
        md.append("No misconception was diagnosed (or no verdicts were found).")
    md += ["", "## Late submissions", ""]
    if g.late_penalty:
        md += ["| student | lesson | points off (late policy) |", "|---|---|---:|"]
        for (s, lesson), pts in sorted(g.late_penalty.items()):
            md.append(f"| {s} | {lesson} | {pts:g} |")
    else:
        md.append("No late penalty was applied.")
    md += ["", "## Integrity flags", ""]
    if ins.integrity:
        for s, lesson, code, reason in ins.integrity:
            md.append(f"- {s}/{lesson}: {code}: {reason}")
    else:
        md.append("None.")
    if similar is not None:
        from autograder.grading.reporting import similarity

        md += ["", "## Similar submissions", ""] + similarity.markdown(similar)
        md += ["", "<!--side-by-side-->"] if similar else []
    if failures:
        md += ["", "## Submissions that could not be graded", ""]
        md += [f"- {f}" for f in failures]
    md += ["", "![scores per lesson](scores.png)", ""]
    md_path = out_dir / "report.md"
    html_path = out_dir / "report.html"
    side = ""
    if similar:
        from autograder.grading.reporting.similarity import html_side_by_side

        side = html_side_by_side(similar)
    md_path.write_text("\n".join(md).replace("<!--side-by-side-->", _side_by_side_md(similar)))
    html_path.write_text(
        _md_to_html("\n".join(md)).replace("<p>&lt;!--side-by-side--&gt;</p>", side)
    )
    return {"markdown": md_path, "html": html_path, "png": png}


def _side_by_side_md(similar, max_cells: int = 3) -> str:
    """The flagged pairs' cells, one after the other (Markdown has no columns)."""
    out = []
    for p in similar or []:
        out.append(f"### {p.lesson}: {p.a} and {p.b}")
        for gid, text_a, text_b, sim in p.cells[:max_cells]:
            out += ["", f"{gid} ({sim:.0%})", "", f"{p.a}:", "```python", text_a.rstrip(), "```"]
            out += [f"{p.b}:", "```python", text_b.rstrip(), "```"]
        out.append("")
    return "\n".join(out)


def _md_to_html(md: str) -> str:
    """Just enough Markdown (headings, tables, lists, image) for the report."""
    out = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Class report</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}"
        "td:nth-child(n+3){text-align:right}"
        "table.sbs td{text-align:left;vertical-align:top;width:50%}</style></head><body>",
    ]
    in_table = in_list = False
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set("".join(cells)) <= set("-:"):
                continue
            if not in_table:
                out.append("<table>")
                in_table, tag = True, "th"
            else:
                tag = "td"
            out.append(
                "<tr>" + "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells) + "</tr>"
            )
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{html.escape(line.lstrip('#').strip())}</h{level}>")
        elif line.startswith("!["):
            src = line[line.index("(") + 1 : line.rindex(")")]
            out.append(f"<p><img src='{html.escape(src)}' alt='scores per lesson'></p>")
        elif line.strip():
            out.append(f"<p>{html.escape(line)}</p>")
    if in_table:
        out.append("</table>")
    if in_list:
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)
