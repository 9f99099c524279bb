"""Generate the bundled example class: examples/submissions/<student>/<lesson>/<lesson>.ipynb.

    .venv/bin/python examples/make_examples.py          # all lessons in source/

Each student notebook is the released notebook (release/<lesson>/, or the source with solutions
replaced by nbgrader's stub when release/ is missing) whose answer cells are filled with
- the solution (source notebook, solution markers removed),
- a wrong answer from tests/wrong_answers/lNN.py (`WRONG_ANSWERS` or the module's first dict:
  ex_id -> list of (misconception_id, answer-cell source)), or
- the stub (unattempted).
Profiles (deterministic): full marks, partial, typical misconceptions, unattempted, missing
lessons, one malformed notebook, and a slot for a hostile submission: any
examples/hostile/<student>/<lesson>/*.ipynb (provided by the sandbox engineer) is copied over
the generated class as is. Output is deterministic (no outputs, fixed timestamps).
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import shutil
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hands import in_hand, renamed  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "examples" / "submissions"
HOSTILE = REPO / "examples" / "hostile"
LESSONS = (
    "01_single_neuron",
    "02_dense_layer",
    "03_sigmoid_net",
    "04_gradients_by_hand",
    "05_matrix_backprop",
    "06_gradient_check",
    "07_deep_network",
)
TIMESTAMP = "2026-03-01 12:00:00.000000 UTC"  # before the due dates of examples/course.toml
# (student, lesson) -> a later submission time: ada is 1.4 days late with lesson 02 (two started
# days: 20 % off), nia as late but with a 3-day extension (nothing off)
LATE = {
    ("ada", "02_dense_layer"): "2026-03-03 09:00:00.000000 UTC",
    ("nia", "02_dense_layer"): "2026-03-03 09:00:00.000000 UTC",
}
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"

# student -> profile; "mix:p" = each exercise right with probability p, else a misconception
PROFILES = {
    "ada": "full",
    "ben": "full",
    "chen": "mix:0.75",
    "dana": "wrong:0",
    "eli": "wrong:1",
    "fatima": "first-half",
    "gus": "stub",
    "hana": "mix:0.5",
    "ivan": "malformed:03_sigmoid_net",
    "jo": "mix:0.25",
    "kofi": "missing:04_gradients_by_hand,05_matrix_backprop,06_gradient_check",
    "lena": "wrong-last",
    "mallory": "full",  # hostile slot: examples/hostile/mallory/<lesson>/ overrides
    "nia": "mix:0.9",
    "omar": "own:0.6",  # like mix, but his right answers are in his own hand too
    "pia": "mix:0.8",
}
# student -> (source student, lesson): a copied submission, variables renamed, for the
# similarity report (the only pair it should list)
COPIES = {"pia": ("omar", "03_sigmoid_net")}
MANUAL_ANSWER = "My answer: see the derivation above (example student text)."


def load_wrong(lesson: str) -> dict[str, list[tuple[str, str]]]:
    num = lesson[:2]
    path = REPO / "tests" / "wrong_answers" / f"l{num}.py"
    if not path.exists():
        return {}
    spec = importlib.util.spec_from_file_location(f"wrong_l{num}", path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception as exc:  # noqa: BLE001 - a broken file: say so, use no wrong answers
        print(f"warning: {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return {}
    table = getattr(mod, "WRONG", None) or getattr(mod, "WRONG_ANSWERS", None)
    if not isinstance(table, dict):
        table = next(
            (
                v
                for k, v in vars(mod).items()
                if isinstance(v, dict)
                and not k.startswith("_")
                and all(isinstance(x, list) for x in v.values())
            ),
            {},
        )
    return {str(k): [(str(m), str(src)) for m, src in v] for k, v in table.items()}


_SOL = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[^\n]*\n(.*?)^[ \t]*### END SOLUTION[^\n]*\n?", re.S | re.M
)


def strip_markers(src: str) -> str:
    """The solution as a student would write it: marker lines removed, code kept."""
    return _SOL.sub(lambda m: m.group(1), src)


def stub_of(src: str) -> str:
    def repl(m):
        indent = re.match(r"[ \t]*", m.group(0)).group(0)
        return "".join(indent + line + "\n" for line in STUB.splitlines())

    return _SOL.sub(repl, src)


def _cells_by_id(nb) -> dict[str, dict]:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def answer_cells(source_nb) -> dict[str, str]:
    """ex_id (test cell grade_id) -> grade_id of the answer cell just before it."""
    out, last = {}, None
    for c in source_nb.cells:
        md = c.metadata.get("nbgrader", {})
        if md.get("solution") and not md.get("grade"):
            last = md.get("grade_id")
        elif md.get("grade") and not md.get("solution") and c.cell_type == "code":
            if last:
                out[md["grade_id"]] = last
            last = None
    return out


def released(lesson: str, source_nb):
    rel = REPO / "release" / lesson / f"{lesson}.ipynb"
    if rel.exists():
        return nbformat.read(str(rel), as_version=4)
    nb = nbformat.from_dict(json.loads(json.dumps(source_nb)))
    for c in nb.cells:
        c.source = stub_of(c.source)
        c.source = re.sub(
            r"\n?### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", c.source, flags=re.S
        )
    return nb


def choose(profile: str, lesson: str, ex_ids: list[str], wrong, rng: random.Random) -> dict:
    """ex_id -> ("solution"|"stub"|("wrong", k))."""
    kind, _, arg = profile.partition(":")
    plan = {}
    for i, ex in enumerate(ex_ids):
        options = wrong.get(ex, [])
        if kind == "full":
            plan[ex] = "solution"
        elif kind == "stub":
            plan[ex] = "stub"
        elif kind == "wrong":
            k = int(arg)
            plan[ex] = ("wrong", min(k, len(options) - 1)) if options else "stub"
        elif kind == "wrong-last":
            plan[ex] = (
                ("wrong", len(options) - 1) if options and i == len(ex_ids) - 1 else ("solution")
            )
        elif kind == "first-half":
            plan[ex] = "solution" if lesson in LESSONS[:3] else "stub"
        elif kind in ("mix", "own"):
            if rng.random() < float(arg) or not options:
                plan[ex] = "solution"
            else:
                plan[ex] = ("wrong", rng.randrange(len(options)))
        else:  # malformed / missing are handled by the caller; answers are right
            plan[ex] = "solution"
    return plan


def build_student(lesson, source_nb, plan, wrong, manual_ok: bool, student: str, own: bool):
    nb = released(lesson, source_nb)
    src_cells = _cells_by_id(source_nb)
    answers = answer_cells(source_nb)
    by_answer = {a: ex for ex, a in answers.items()}
    for c in nb.cells:
        md = c.metadata.get("nbgrader", {})
        gid = md.get("grade_id")
        if not md.get("solution"):
            continue
        if md.get("grade"):  # manually graded answer (markdown or code)
            if manual_ok:
                src = src_cells[gid].source
                c.source = strip_markers(src) if "BEGIN SOLUTION" in src else MANUAL_ANSWER
            continue
        ex = by_answer.get(gid)
        choice = plan.get(ex, "solution")
        if choice == "solution":
            c.source = strip_markers(src_cells[gid].source)
            if own:
                c.source = in_hand(c.source, student)
        elif choice == "stub":
            pass  # the released stub
        else:  # nobody types a mistake exactly as another student does
            c.source = in_hand(wrong[ex][choice[1]][1], student)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
    return nb


def make_examples(out: Path = OUT, lessons=None) -> list[Path]:
    lessons = [x for x in (lessons or LESSONS) if (REPO / "source" / x / f"{x}.ipynb").exists()]
    if out.exists():
        shutil.rmtree(out)
    written = []
    for student, profile in PROFILES.items():
        rng = random.Random(f"{student}-examples")
        kind, _, arg = profile.partition(":")
        for lesson in lessons:
            if kind == "missing" and lesson in arg.split(","):
                continue
            source_nb = nbformat.read(str(REPO / "source" / lesson / f"{lesson}.ipynb"), 4)
            wrong = load_wrong(lesson)
            ex_ids = list(answer_cells(source_nb))
            plan = choose(profile, lesson, ex_ids, wrong, rng)
            d = out / student / lesson
            d.mkdir(parents=True, exist_ok=True)
            path = d / f"{lesson}.ipynb"
            if kind == "malformed" and lesson == arg:
                good = nbformat.writes(
                    build_student(lesson, source_nb, plan, wrong, True, student, kind == "own")
                )
                path.write_text(good[: len(good) // 2])  # a truncated upload
            else:
                manual_ok = kind not in ("stub",) and not (
                    kind == "first-half" and lesson not in LESSONS[:3]
                )
                nb = build_student(
                    lesson, source_nb, plan, wrong, manual_ok, student, kind == "own"
                )
                nbformat.write(nb, str(path))
            (d / "timestamp.txt").write_text(LATE.get((student, lesson), TIMESTAMP))
            written.append(path)
    for student, (origin, lesson) in COPIES.items():
        copied = nbformat.read(str(out / origin / lesson / f"{lesson}.ipynb"), 4)
        for c in copied.cells:
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"):
                c.source = renamed(c.source)
        nbformat.write(copied, str(out / student / lesson / f"{lesson}.ipynb"))
    if HOSTILE.is_dir():
        for nb in sorted(HOSTILE.glob("*/*/*")):
            if nb.is_file():
                dest = out / nb.relative_to(HOSTILE)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(nb, dest)
                if not (dest.parent / "timestamp.txt").exists():
                    (dest.parent / "timestamp.txt").write_text(TIMESTAMP)
    return written


def main() -> int:
    written = make_examples(lessons=sys.argv[1:] or None)
    students = {p.parts[-3] for p in written}
    print(f"wrote {len(written)} notebooks for {len(students)} students into {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
