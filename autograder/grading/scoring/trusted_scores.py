"""TrustedScores: score autograder test cells from the recorded numbers only.

Runs after Execute (before SaveAutoGrades). For every autograder test cell (grade, locked, not
solution, code) whose grade_id is a registered exercise:

1. take the LAST record bundle (mime application/vnd.backprop.record+json) for that exercise from
   the cell's outputs; everything else the kernel printed or raised is ignored;
2. regenerate the cases from `grading_seed` (the same seed the kernel got in its environment as
   BACKPROP_GRADING_SEED) and this student's key (``student_inputs``: HMAC of the course secret
   and the student id), compute the reference outputs and misconception variants;
3. compare, and REPLACE the outputs with a stdout stream (the diagnosis) and an execute_result
   whose text/plain is the points earned (nbgrader reads it as partial credit).

No valid record -> 0 points with a message saying why. Cells whose grade_id is not an exercise
are left as nbgrader would score them (with a warning). A summary per cell is kept in
resources["backprop"]["cells"][grade_id] and in the cell's metadata["backprop"].

Config (nbgrader_config.py)::

    c.Autograde.autograde_preprocessors = [Execute, TrustedScores, ...]
    c.TrustedScores.grading_seed = 1234        # default: env BACKPROP_GRADING_SEED, else 0
"""

from __future__ import annotations

import json
from typing import Any

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Int, default

from autograder.grading import solutions
from autograder.grading.config import grading_seed_from
from autograder.grading.scoring import student_inputs
from autograder.student.compare import compare
from autograder.student.contract import RECORD_FORMAT as FORMAT
from autograder.student.contract import RECORD_MIME as MIME
from autograder.student.contract import SEED_ENV
from autograder.student.spec import EXERCISES, get_exercise

MAX_BUNDLE_CHARS = 50_000_000


class NoRecord(Exception):
    """Why a cell has no usable record (the message is shown to the student)."""


def _bundles(cell: NotebookNode) -> list[Any]:
    out = []
    for output in cell.get("outputs", []):
        if output.get("output_type") not in ("display_data", "execute_result"):
            continue
        data = output.get("data") or {}
        if MIME in data:
            out.append(data[MIME])
    return out


def _own_error(cell: NotebookNode) -> str:
    """'NameError: ...' when the test cell's own outputs hold an error, else ''."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            name = str(output.get("ename", "Error"))[:60]
            value = " ".join(str(output.get("evalue", "")).split())[:200]
            return f"{name}: {value}" if value else name
    return ""


def last_bundle(cell: NotebookNode, ex_id: str) -> dict:
    """The last well-typed bundle for ex_id in the cell's outputs (raises NoRecord)."""
    found_other = False
    for raw in reversed(_bundles(cell)):
        bundle = raw
        if isinstance(raw, str):  # a JSON mime type stored as text: parse it, capped
            if len(raw) > MAX_BUNDLE_CHARS:
                continue
            try:
                bundle = json.loads(raw)
            except ValueError:
                continue
        if not isinstance(bundle, dict):
            continue
        if bundle.get("exercise") != ex_id:
            found_other = True
            continue
        return bundle
    if found_other:
        raise NoRecord(f"no result was recorded for {ex_id} (only for other exercises)")
    own = _own_error(cell)
    if own:
        raise NoRecord(
            f"no result was recorded for {ex_id}: the test cell itself stopped with {own} "
            "(does your code redefine a name this cell uses, or replace a module it imports?)"
        )
    raise NoRecord(
        f"no result was recorded for {ex_id}: the test cell did not run to its end "
        "(an error in an earlier cell, a timeout, or the kernel stopped)"
    )


def validate_bundle(bundle: dict, ex_id: str, seed: int, n_cases: int) -> list[dict]:
    """The bundle's per-case outputs, after checking its envelope (raises NoRecord)."""
    if bundle.get("format") != FORMAT:
        raise NoRecord(f"the recorded result for {ex_id} has an unknown format")
    if "error" in bundle:
        err = str(bundle["error"])[:300]
        if err.startswith("KeyboardInterrupt"):
            err += " (the cell ran out of time: is there an endless loop?)"
        raise NoRecord(f"your functions could not be run for {ex_id}: {err}")
    if type(bundle.get("seed")) is not int or bundle["seed"] != seed:
        raise NoRecord(
            f"the result for {ex_id} was recorded with another grading seed "
            f"({bundle.get('seed')!r}); ask your instructor to regrade"
        )
    cases = bundle.get("cases")
    if not isinstance(cases, list) or len(cases) != n_cases:
        raise NoRecord(f"the recorded result for {ex_id} does not have {n_cases} cases")
    if not all(isinstance(c, dict) for c in cases):
        raise NoRecord(f"the recorded result for {ex_id} is malformed")
    return cases


def _mutated(bundle: dict, n_cases: int) -> list[list[str]]:
    raw = bundle.get("mutated")
    if not isinstance(raw, list) or len(raw) != n_cases:
        return []
    return [[str(x)[:40] for x in names[:10]] if isinstance(names, list) else [] for names in raw]


def _fmt_points(points: float) -> str:
    return f"{round(points, 4):g}"


class TrustedScores(NbGraderPreprocessor):
    """Replace each exercise test cell's outputs by a diagnosis and the points from the numbers."""

    grading_seed = Int(
        help="Seed of the grading cases; the kernel must get the same value in its environment "
        f"as {SEED_ENV}. Default: c.SandboxedExecute.grading_seed, else env {SEED_ENV}, else 0."
    ).tag(config=True)

    @default("grading_seed")
    def _default_seed(self) -> int:
        return grading_seed_from(self.config)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        summary = resources.setdefault("backprop", {}).setdefault("cells", {})
        # This student's cases: the same key SandboxedExecute gave the kernel.
        key = student_inputs.key_for(self.config, resources)
        for cell in nb.cells:
            if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
                continue
            grade_id = cell.metadata["nbgrader"].get("grade_id", "")
            try:
                ex = get_exercise(grade_id)
            except KeyError:
                self.log.warning(
                    "TrustedScores: %s is not an exercise; scored by nbgrader", grade_id
                )
                continue
            summary[grade_id] = self.score_cell(cell, ex.id, key)
        return nb, resources

    def score_cell(self, cell: NotebookNode, ex_id: str, student_key: str = "") -> dict[str, Any]:
        """Score one test cell in place (on the cases of `student_key`); returns its summary."""
        ex = EXERCISES[ex_id]
        max_points = float(cell.metadata["nbgrader"].get("points", 0) or 0)
        seed = self.grading_seed
        misconceptions: list[str] = []
        components: dict[str, bool] = {}
        try:
            cases = ex.cases_for_seed(seed, student_key)
            expected, variants, catalogue = solutions.reference_outputs(ex, cases)
        except Exception as err:  # a bug on our side: never the student's fault
            self.log.error("TrustedScores: reference for %s failed: %r", ex_id, err)
            text, fraction = f"{ex_id}: internal grading error; the instructor must regrade.", 0.0
        else:
            try:
                bundle = last_bundle(cell, ex_id)
                got = validate_bundle(bundle, ex_id, seed, len(cases))
            except NoRecord as why:
                if "grading seed" in str(why):
                    self.log.error("TrustedScores: %s", why)
                text, fraction = f"{ex_id}: 0 / {_fmt_points(max_points)} points: {why}", 0.0
            else:
                verdict = compare(
                    ex, got, expected, variants, catalogue, _mutated(bundle, len(cases))
                )
                fraction = verdict.fraction
                misconceptions = verdict.misconceptions
                components = {c.name: c.ok for c in verdict.components.values()}
                head = (
                    f"{ex_id} (\u00a7{ex.section}): {_fmt_points(fraction * max_points)} / "
                    f"{_fmt_points(max_points)} points, graded on {len(cases)} fresh random "
                    f"cases; {verdict.tolerance}"
                )
                lines = [head, *verdict.lines()]
                if not ex.partial and not verdict.ok and any(components.values()):
                    lines.append("  (all or nothing: every component must be right)")
                text = "\n".join(lines)
        points = min(max_points, max(0.0, fraction * max_points))
        cell.outputs = [
            new_output("stream", name="stdout", text=text + "\n"),
            new_output(
                "execute_result",
                data={"text/plain": _fmt_points(points)},
                execution_count=cell.get("execution_count"),
            ),
        ]
        result = {
            "score": round(points, 4),
            "max": max_points,
            "fraction": fraction,
            "components": components,
            "misconceptions": misconceptions,
        }
        cell.metadata["backprop"] = result
        return result
