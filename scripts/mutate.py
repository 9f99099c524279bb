"""Mutation testing: does the suite fail when the code it guards is broken?

    python scripts/mutate.py                 # every mutation (make mutate)
    python scripts/mutate.py -k seed bce     # only mutations whose name contains a word
    python scripts/mutate.py --list          # names, files and the tests each one runs

Each mutation is one textual edit of one file of ``course/`` or the grading code (the issue's
named defects, flipped comparisons, dropped terms, off-by-ones, swapped arguments, removed
defences). For each: the repository is copied to a scratch folder, the edit is applied to the
copy (it must match exactly ``count`` times, else the mutation is stale and the run fails), and
the tests named for it run against the copy. Verdict: ``killed`` (a test failed, or timed out),
``SURVIVED`` (every test passed). The last line is ``killed K of N``; the exit code is 1 when
a mutation survived or the baseline (the unmutated copy) fails.

How the copy is run: as root, inside a private mount namespace (``unshare --mount``) in which
the copy is bind-mounted over the checkout's own path, with the checkout's ``.venv`` bound into
it. Every process of the test run (pytest, nbgrader, kernels, the bwrap sandbox that mounts the
checkout) then sees the mutated copy at the usual path, while the checkout itself and every
other process on the machine see nothing change. Without root, the copy runs at its own path
with PYTHONPATH pointing at it: sandboxed kernels then import the *unmutated* student package
(a warning says so).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "out", "demo", "bench",
    "artifacts", "dist", "*.egg-info", "gradebook.db",
)  # fmt: skip
TIMEOUT = 900  # s per mutation (the sandbox suites grade a class)

SANDBOX_PROBES = ["tests/test_integrity_sandbox.py", "-k", "probes_blocked"]
PARTIAL = ["tests/test_partial_credit.py"]
SEEDS = ["tests/test_grading_seed.py"]
TRUSTED = ["tests/test_checks_trusted.py"]
ORACLES = ["tests/test_course_oracles.py"]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    count: int = 1
    why: str = ""


def M(name, path, old, new, tests, count=1, why=""):  # noqa: N802 - a table row
    return Mutation(name, path, old, new, tuple(tests), count, why)


SB = "autograder/grading/execution/sandbox.py"
MUTATIONS: list[Mutation] = [
    # --- named in issue 15 ---------------------------------------------------------------------
    M(
        "sandbox_host_tmp_over_private_tmp",
        SB,
        '*("--perms", tmp_mode, "--size", str(limits.tmp_size), "--tmpfs", "/tmp"),',
        '*("--perms", tmp_mode, "--size", str(limits.tmp_size), "--tmpfs", "/tmp"),\n'
        '        *("--ro-bind", "/tmp", "/tmp"),',
        SANDBOX_PROBES,
        why="--ro-bind /tmp /tmp after the private tmpfs: a course under /tmp is readable",
    ),
    M(
        "bce_log1p_exp",
        "course/losses.py",
        "(1.0 - Y) * np.logaddexp(0.0, Z)",
        "(1.0 - Y) * np.log1p(np.exp(Z))",
        ORACLES + ["-k", "bce"],
        why="logaddexp(0, Z) -> log1p(exp(Z)): inf for Z = 800",
    ),
    M(
        "l02_batch_all_or_nothing",
        "autograder/student/lessons/l02_dense_layer.py",
        'components={"dX": 1 / 3, "dW": 1 / 3, "db": 1 / 3},\n        partial=True,',
        'components={"dX": 1 / 3, "dW": 1 / 3, "db": 1 / 3},\n        partial=False,',
        PARTIAL,
        why="dX and dW right: 2/3 of the points -> 0",
    ),
    M(
        "seed_drop_trusted_branch",
        "autograder/grading/config.py",
        'for section in ("TrustedScores", "SandboxedExecute"):',
        'for section in ("SandboxedExecute",):',
        SEEDS,
        why="c.TrustedScores.grading_seed = 1234 ignored: every student 0",
    ),
    M(
        "seed_drop_sandboxed_branch",
        "autograder/grading/config.py",
        'for section in ("TrustedScores", "SandboxedExecute"):',
        'for section in ("TrustedScores",):',
        SEEDS,
    ),
    M(
        "seed_drop_env_branch",
        "autograder/grading/config.py",
        "            return int(value)\n    return seed_from_env()",
        "            return int(value)\n    return 0",
        SEEDS,
    ),
    M(
        "seed_kernel_trait_wins",
        "autograder/grading/execution/sandboxed_execute.py",
        'if trusted in (None, "") and self.grading_seed not in (None, ""):',
        'if self.grading_seed not in (None, ""):',
        SEEDS,
        why="the kernel's own trait over TrustedScores': two seeds in one run",
    ),
    M(
        "check_raises_under_validation",
        "autograder/student/check.py",
        "    if not wrong:\n",
        '    if not wrong and os.environ.get("NBGRADER_EXECUTION") != "validate":\n',
        ["tests/test_checks_validate.py", "-k", "right_answers"],
        why="a correct notebook fails the Validate button",
    ),
    # --- the sandbox: removed defences ---------------------------------------------------------
    M("sandbox_no_net_namespace", SB, '        "--unshare-net",\n', "", SANDBOX_PROBES),
    M("sandbox_no_pid_namespace", SB, '        "--unshare-pid",\n', "", SANDBOX_PROBES),
    M(
        "sandbox_whole_repo_visible",
        SB,
        'mounts += ["--ro-bind", str(pkg / "student"), str(pkg / "student")]',
        'mounts += ["--ro-bind", str(repo), str(repo)]',
        SANDBOX_PROBES,
    ),
    M(
        "sandbox_no_privilege_drop",
        SB,
        "for wrapper in (self.drop, self.rlimits):",
        "for wrapper in (self.rlimits,):",
        SANDBOX_PROBES,
        why="the kernel stays root inside the sandbox",
    ),
    M(
        "sandbox_unprivileged_pid_namespace_dropped",
        SB,
        '        namespaces.insert(0, "--unshare-user")\n',
        '        namespaces.insert(0, "--unshare-user")\n'
        '        namespaces.remove("--unshare-pid")\n',
        ["tests/test_integrity_sandbox.py", "-k", "unprivileged_grader_sandbox"],
        why="the non-root grader's path only: the kernel sees the grader's processes",
    ),
    M(
        "sandbox_environment_inherited",
        SB,
        'session = ["--chdir", SANDBOX_HOME, "--clearenv"]',
        'session = ["--chdir", SANDBOX_HOME]',
        ["tests/test_integrity_sandbox.py", "-k", "minimal_environment"],
        why="the grader's environment (secrets, paths) reaches the kernel",
    ),
    # --- scoring ---------------------------------------------------------------------------------
    M(
        "score_partial_sum_flipped",
        "autograder/student/compare.py",
        "fraction = sum(c.weight for c in comps.values() if c.ok)",
        "fraction = sum(c.weight for c in comps.values() if not c.ok)",
        PARTIAL,
    ),
    M(
        "score_partial_ignored",
        "autograder/student/compare.py",
        "    if ex.partial:\n        fraction = sum(",
        "    if not ex.partial:\n        fraction = sum(",
        PARTIAL,
    ),
    M(
        "score_all_or_nothing_any",
        "autograder/student/compare.py",
        "fraction = 1.0 if all(c.ok for c in comps.values()) else 0.0",
        "fraction = 1.0 if any(c.ok for c in comps.values()) else 0.0",
        PARTIAL,
    ),
    M(
        "score_tolerance_off_by_1e6",
        "autograder/student/compare.py",
        "b.astype(np.float64), rtol=rtol, atol=atol))",
        "b.astype(np.float64), rtol=rtol * 1e6, atol=atol))",
        PARTIAL + TRUSTED,
        why="a 10 % error counts as right",
    ),
    M(
        "trusted_first_bundle_not_last",
        "autograder/grading/scoring/trusted_scores.py",
        "for raw in reversed(_bundles(cell)):",
        "for raw in _bundles(cell):",
        TRUSTED,
    ),
    M(
        "trusted_seed_check_removed",
        "autograder/grading/scoring/trusted_scores.py",
        'if type(bundle.get("seed")) is not int or bundle["seed"] != seed:',
        'if type(bundle.get("seed")) is not int and bundle["seed"] != seed:',
        TRUSTED,
        why="a bundle recorded with another seed is scored",
    ),
    M(
        "trusted_points_uncapped",
        "autograder/grading/scoring/trusted_scores.py",
        "points = min(max_points, max(0.0, fraction * max_points))",
        "points = max(0.0, fraction * max_points) + 0.5",
        TRUSTED + PARTIAL,
    ),
    M(
        "canonical_student_test_cell_kept",
        "autograder/grading/scoring/canonicalize.py",
        '            if _nbg(s).get("solution"):\n                answers[gid] =',
        '            if _nbg(s).get("solution") or _nbg(s).get("grade"):\n'
        "                answers[gid] =",
        ["tests/test_integrity_canonical.py"],
        why="an edited test cell would run instead of the source's",
    ),
    # --- course/: the reference (oracles: torch.autograd and central differences) --------------
    M(
        "dense_backward_swapped_dW",
        "course/layers.py",
        "return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)",
        "return dZ @ W.T, dZ.T @ X, dZ.sum(axis=0)",
        ORACLES,
    ),
    M(
        "dense_backward_db_wrong_axis",
        "course/layers.py",
        "return dZ @ W.T, X.T @ dZ, dZ.sum(axis=0)",
        "return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)",
        ORACLES,
    ),
    M(
        "relu_grad_ge",
        "course/activations.py",
        "return (_f64(Z) > 0).astype(np.float64)",
        "return (_f64(Z) >= 0).astype(np.float64)",
        ["tests/test_course_oracles.py", "tests/test_checks_fixtures.py"],
        why="the convention at the kink (the lessons grade relu'(0) = 0)",
    ),
    M(
        "sigmoid_grad_dropped_term",
        "course/activations.py",
        "    return A * (1.0 - A)",
        "    return A",
        ORACLES + ["tests/test_course_seed_nets.py"],
    ),
    M(
        "half_mse_off_by_one",
        "course/losses.py",
        "return float(0.5 * np.sum(D**2) / n), D / n",
        "return float(0.5 * np.sum(D**2) / (n + 1)), D / (n + 1)",
        ORACLES,
    ),
    M(
        "central_difference_factor",
        "course/gradcheck.py",
        "grad[i] = (f_plus - f_minus) / (2 * h)",
        "grad[i] = (f_plus - f_minus) / h",
        ["tests/test_course_gradcheck.py"],
    ),
    M(
        "seed_net_update_sign",
        "course/seed_nets.py",
        "w, b = w - lr * dw, b - lr * db",
        "w, b = w + lr * dw, b - lr * db",
        ["tests/test_course_seed_nets.py", "tests/test_checks_fixtures.py"],
    ),
    M(
        "seed_net_steps_off_by_one",
        "course/seed_nets.py",
        "    for _ in range(steps):\n",
        "    for _ in range(steps - 1):\n",
        ["tests/test_course_seed_nets.py", "tests/test_checks_fixtures.py"],
        count=2,
    ),
]


def copy_repo(dest: Path) -> Path:
    shutil.copytree(REPO, dest, ignore=IGNORE, symlinks=True)
    (dest / ".venv").mkdir()
    return dest


def apply(m: Mutation, root: Path) -> None:
    p = root / m.path
    text = p.read_text()
    n = text.count(m.old)
    if n != m.count:
        raise SystemExit(f"stale mutation {m.name}: {m.old!r} found {n} times in {m.path}")
    p.write_text(text.replace(m.old, m.new))


def isolated() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") is not None


def run_tests(copy: Path, tests: list[str], log: Path) -> tuple[int, str]:
    py = REPO / ".venv" / "bin" / "python"
    pytest = [str(py), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if isolated():
        inner = (
            f"mount --bind {shlex.quote(str(REPO / '.venv'))} {shlex.quote(str(copy / '.venv'))}"
            f" && mount --rbind {shlex.quote(str(copy))} {shlex.quote(str(REPO))}"
            f" && cd {shlex.quote(str(REPO))} && exec {shlex.join(pytest)}"
        )
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner]
        cwd = "/"
    else:
        argv = pytest
        env["PYTHONPATH"] = str(copy)
        cwd = str(copy)
    with log.open("w") as out:
        try:
            rc = subprocess.run(
                argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=TIMEOUT
            ).returncode
        except subprocess.TimeoutExpired:
            return -1, "timeout"
    lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
    first_fail = next((ln for ln in lines if ln.startswith(("FAILED", "ERROR"))), "")
    return rc, first_fail or (lines[-1] if lines else "")


def classify(rc: int, log: Path) -> str:
    """pytest's exit code -> verdict. Only failing tests (1), a timeout, or a collection error
    the mutation caused count as killed; anything else is an error of the run itself."""
    if rc == 0:
        return "SURVIVED"
    if rc == -1:
        return "killed (timeout)"
    if rc == 1:
        return "killed"
    if rc == 2 and "error during collection" in log.read_text():
        return "killed (import)"
    return "ERROR"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", nargs="*", default=[], help="only mutations whose name contains these")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    ap.add_argument("--logs", type=Path, default=None, help="keep each run's pytest log here")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.k or any(w in m.name for w in args.k)]
    if args.list:
        for m in chosen:
            print(f"{m.name:38s} {m.path:50s} {' '.join(m.tests)}")
        return 0
    if not isolated():
        print(
            "warning: not root (or no unshare): the copy runs at its own path; sandboxed kernels "
            "import the unmutated autograder.student",
            file=sys.stderr,
        )
    scratch = Path(tempfile.mkdtemp(prefix="bp-mutate-"))
    logs = args.logs or scratch / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    t_all = time.monotonic()
    try:
        if not args.no_baseline:
            # every distinct test selection once, on the unmutated copy: all must pass
            selections = list(dict.fromkeys(m.tests for m in chosen))
            base = copy_repo(scratch / "baseline")
            t0 = time.monotonic()
            for j, sel in enumerate(selections):
                rc, last = run_tests(base, list(sel), logs / f"baseline-{j}.log")
                if rc != 0:  # 5 (nothing collected) too: a selection that runs nothing
                    print(f"baseline fails on {' '.join(sel)}: {last}; see {logs}")
                    return 1
            took = time.monotonic() - t0
            print(f"baseline: {len(selections)} test selections pass unmutated ({took:.0f} s)")
            shutil.rmtree(base, ignore_errors=True)
        killed, errors = 0, []
        for i, m in enumerate(chosen, 1):
            copy = copy_repo(scratch / m.name)
            apply(m, copy)
            t0 = time.monotonic()
            rc, last = run_tests(copy, list(m.tests), logs / f"{m.name}.log")
            took = time.monotonic() - t0
            shutil.rmtree(copy, ignore_errors=True)
            verdict = classify(rc, logs / f"{m.name}.log")
            if verdict.startswith("killed"):
                killed += 1
            elif verdict == "ERROR":
                errors.append(m.name)
            print(f"[{i:2d}/{len(chosen)}] {m.name:38s} {verdict:16s} {took:5.0f} s  {last[:110]}")
            sys.stdout.flush()
        total = time.monotonic() - t_all
        print(f"mutation run: {total:.0f} s; logs in {logs}")
        if errors:
            print(f"could not run: {', '.join(errors)} (not counted as killed)")
        print(f"killed {killed} of {len(chosen)}")
        return 0 if killed == len(chosen) else 1
    finally:
        for p in scratch.iterdir():
            if p.is_dir() and p != logs:
                shutil.rmtree(p, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
