"""Regenerate autograder/student/fixtures/lNN.json from the grader-side solutions.

    python scripts/make_fixtures.py            # write the fixtures of every available lesson
    python scripts/make_fixtures.py --check    # exit 1 when a committed fixture is out of date

"Out of date" means a difference beyond autograder.tolerance (structure, keys, dtypes, shapes
and strings exactly; an exercise's floats within `generated_tolerance` of its grading rtol/atol,
i.e. 1e-4 of what grading can see and never tighter than 1e-12): the last bits of the floats
depend on the CPU (numpy's summation order; a numerical gradient magnifies them by 1/h), so a
fixture made on another machine is not stale, and it is not rewritten either (no churn in git
when the data did not change).

A fixture holds, per exercise: the worked-example cases (Exercise.worked_examples, else
make_cases with a fixed seed), the reference outputs, the outputs of every misconception variant,
and the catalogue texts the visible check needs to name them. Students get the fixtures; they
never see course/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.grading import solutions  # noqa: E402
from autograder.student import lessons  # noqa: E402
from autograder.student.check import FIXTURES  # noqa: E402
from autograder.student.serialize import encode, encode_case  # noqa: E402
from autograder.student.spec import EXERCISES, case_seed  # noqa: E402
from autograder.tolerance import ATOL, RTOL, data_diff, generated_tolerance  # noqa: E402

FIXTURE_SEED = 20261122


def _encode_outputs(outputs: dict) -> dict:
    return {comp: encode(value) for comp, value in outputs.items()}


def fixture_for(prefix: str) -> dict:
    """The fixture dict of one lesson (all of its registered exercises)."""
    exercises = {}
    lesson = None
    for ex_id in sorted(EXERCISES):
        ex = EXERCISES[ex_id]
        if ex.prefix != prefix:
            continue
        lesson = ex.lesson
        if ex.worked_examples is not None:
            cases = ex.worked_examples()
        else:
            cases = ex.make_cases(np.random.default_rng(case_seed(FIXTURE_SEED, ex.id)))
        expected, variants, catalogue = solutions.reference_outputs(ex, cases)
        exercises[ex_id] = {
            "section": ex.section,
            "cases": [encode_case(c) for c in cases],
            "expected": [_encode_outputs(o) for o in expected],
            # a list, not an object: the order of the variants is their priority
            "variants": [
                [mid, [_encode_outputs(o) for o in outs]] for mid, outs in variants.items()
            ],
            "misconceptions": catalogue,
        }
    return {
        "generated_by": "scripts/make_fixtures.py (do not edit by hand)",
        "lesson": lesson,
        "exercises": exercises,
    }


def render(fixture: dict) -> str:
    return json.dumps(fixture, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _rel(path: Path) -> Path:
    path = path.resolve()
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def fixture_diff(path: Path, text: str) -> list[str]:
    """Differences between the committed fixture at path and freshly rendered text.

    [] when they agree within autograder.tolerance; ["missing"] / ["not JSON: ..."] otherwise.
    """
    if not path.exists():
        return ["missing"]
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        return [f"not JSON: {err}"]
    new = json.loads(text)
    if not (isinstance(old, dict) and isinstance(old.get("exercises"), dict)):
        return data_diff(old, new)
    old_ex, new_ex = old.pop("exercises"), new.pop("exercises")
    diff = data_diff(old, new)
    diff += data_diff(sorted(old_ex), sorted(new_ex), path="$.exercises(keys)")
    for ex_id in sorted(set(old_ex) & set(new_ex)):
        ex = EXERCISES.get(ex_id)
        rtol, atol = generated_tolerance(ex.rtol, ex.atol) if ex else (RTOL, ATOL)
        diff += data_diff(old_ex[ex_id], new_ex[ex_id], rtol, atol, path=f"$.exercises.{ex_id}")
    return diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument(
        "--fixtures", type=Path, default=FIXTURES, help=f"folder (default: {FIXTURES})"
    )
    args = parser.parse_args(argv)
    loaded = solutions.load_all()
    stale = []
    for prefix, module in lessons.LESSONS.items():
        if module not in loaded:
            print(f"skip {prefix}: lesson {module} not written yet (PENDING)")
            continue
        text = render(fixture_for(prefix))
        path = args.fixtures / f"{prefix}.json"
        diff = fixture_diff(path, text)
        if args.check:
            if diff:
                stale.append(_rel(path))
                print(f"{_rel(path)}:\n  " + "\n  ".join(diff), file=sys.stderr)
            continue
        if diff:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {_rel(path)}")
        else:
            print(f"unchanged {_rel(path)} (equal within tolerance)")
    if stale:
        names = ", ".join(map(str, stale))
        print(f"out of date: {names}; run python scripts/make_fixtures.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
