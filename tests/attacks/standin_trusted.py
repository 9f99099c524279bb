"""A minimal stand-in for H2's TrustedScores, used by the integrity tests only while
``autograder.grading.trusted`` does not exist yet.

It does what the contract says TrustedScores does, in the fewest lines: for each autograder test
cell, take the LAST record bundle for the cell's exercise from the outputs, regenerate the cases
from the grading seed, compute the expected outputs with the grader's reference solutions, and
replace the outputs with the points (components right on every case x points). Kernel-printed
text never counts.
"""

from __future__ import annotations

import os

import numpy as np
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from autograder.grading.solutions import reference_outputs
from autograder.student.serialize import decode
from autograder.student.spec import get_exercise

MIME = "application/vnd.backprop.record+json"


def _right(payload, exp) -> bool:
    try:
        got = decode(payload)
    except Exception:  # noqa: BLE001
        return False
    if not isinstance(got, np.ndarray) or got.shape != exp.shape:
        return False
    return bool(np.allclose(got.astype(np.float64), exp, rtol=1e-6, atol=1e-9))


class StandInTrustedScores(NbGraderPreprocessor):
    seed = Unicode("").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        md = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not md.get("grade"):
            return cell, resources
        ex_id, points = md.get("grade_id"), float(md.get("points", 0))
        seed = int(self.seed or os.environ.get("BACKPROP_GRADING_SEED", "0"))
        bundles = [
            o["data"][MIME]
            for o in cell.get("outputs", [])
            if o.get("output_type") in ("display_data", "execute_result")
            and MIME in o.get("data", {})
            and isinstance(o["data"][MIME], dict)
            and o["data"][MIME].get("exercise") == ex_id
        ]
        earned, msg = 0.0, "no valid record"
        if bundles:
            b = bundles[-1]
            try:
                ex = get_exercise(ex_id)
                cases = ex.cases_for_seed(seed)
                expected, _, _ = reference_outputs(ex, cases)
                got = b.get("cases")
                if b.get("seed") != seed or not isinstance(got, list) or len(got) != len(cases):
                    raise ValueError("bundle does not match the grading cases")
                weights = [
                    w
                    for comp, w in ex.components.items()
                    if all(_right(g.get(comp), e[comp]) for g, e in zip(got, expected, strict=True))
                ]
                frac = sum(weights)
                if not ex.partial and frac < 1 - 1e-9:
                    frac = 0.0
                earned, msg = round(frac * points, 6), f"{frac:.2f} of the components right"
            except Exception as exc:  # noqa: BLE001
                earned, msg = 0.0, f"invalid record: {type(exc).__name__}"
        cell.outputs = [
            new_output("stream", name="stdout", text=f"[stand-in trusted] {msg}\n"),
            new_output("execute_result", data={"text/plain": repr(earned)}, execution_count=None),
        ]
        return cell, resources
