"""Time every visible check (check(ex_id, ...)) with the source notebooks' own solutions.

    python scripts/bench_checks.py [--repeat 20]

Runs the code cells of each source/NN_*/NN_*.ipynb (solutions included, test cells excluded)
in one namespace, then times each test cell's check(...) call and prints the median in ms.
A visible check must stay well under 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET_MS = 100.0
CHECK_LINE = re.compile(r"^check\(.*\)\s*$", re.M)


def bench_notebook(path: Path, repeat: int) -> list[tuple[str, float, float, bool]]:
    """(grade_id, first call ms, median ms, passed) per visible check of one notebook."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    ns: dict = {"__name__": "__main__"}
    results = []
    sink = io.StringIO()
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        src = "".join(cell["source"])
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            for line in CHECK_LINE.findall(src):
                times = []
                out = io.StringIO()
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    with contextlib.redirect_stdout(out):
                        exec(line, ns)
                    times.append((time.perf_counter() - t0) * 1000)
                ok = "\u2718" not in out.getvalue() and "wrong" not in out.getvalue()
                results.append((meta.get("grade_id", "?"), times[0], statistics.median(times), ok))
            continue
        src = "\n".join(x for x in src.splitlines() if not x.lstrip().startswith(("%", "!")))
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            try:
                exec(compile(src, str(path), "exec"), ns)
            except Exception as err:  # a demo cell that needs more than we run here
                print(f"  (cell skipped: {type(err).__name__}: {err})", file=sys.__stderr__)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ["NBGRADER_EXECUTION"] = "autograde"  # a failing check prints instead of raising
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.path.insert(0, str(REPO))
    worst = 0.0
    for path in sorted(REPO.glob("source/*/*.ipynb")):
        print(path.relative_to(REPO))
        for grade_id, first, ms, ok in bench_notebook(path, args.repeat):
            worst = max(worst, ms)  # first calls include the student code's own lazy imports
            status = "" if ok else "   CHECK FAILED with the source solution"
            print(f"  {grade_id:24s} first {first:7.2f} ms   median {ms:7.2f} ms{status}")
    print(f"slowest check (median): {worst:.2f} ms (budget {BUDGET_MS:.0f} ms)")
    return 0 if worst < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
