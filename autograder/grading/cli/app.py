"""`backprop-grade`: the instructor's grading tool (nbgrader underneath, in parallel).

Every step is nbgrader's own (NbGraderAPI with the course's traitlets Config: GenerateAssignment,
the exchange's Collect, Autograde with the course's preprocessors, GenerateFeedback); this tool
adds parallel workers with pre-started kernels, collection from folders/zips, feedback without
hidden tests, a CSV export and a class report.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from autograder.grading.config import (
    COURSE_ID,
    REPO_ROOT,
    GradingError,
    build_config,
    default_db_url,
    ensure_venv_on_path,
    normalize_db_url,
    resolve_lessons,
)
from autograder.grading.logs import quiet_libraries

EPILOG = """\
examples:
  backprop-grade release                      generate release/ for every lesson in source/
  backprop-grade release 01_single_neuron --exchange
                                              ... and put it in the nbgrader exchange
  backprop-grade collect --from submissions.zip
                                              <student>/<lesson>/*.ipynb (folder or zip), or
                                              <student>_attempt_<YYYY-MM-DD-HH-MM-SS>_<lesson>.ipynb
  backprop-grade collect                      collect from the nbgrader exchange
  backprop-grade autograde --workers 2        grade everything collected, 2 worker processes
  backprop-grade autograde 03_sigmoid_net --student alice bob
  backprop-grade feedback                     HTML feedback in feedback/ (no hidden tests)
  backprop-grade export                       reports/grades.csv: a row per student
  backprop-grade export --format canvas --roster roster.csv
                                              reports/grades-canvas.csv (Canvas gradebook import);
                                              --format moodle [--moodle-key idnumber]: Moodle
  backprop-grade report                       reports/report.{md,html} + reports/scores.png
  backprop-grade all --from submissions/      the whole loop
  backprop-grade --course-dir out/demo --db-url postgresql://grader@dbhost/backprop autograde

The course directory holds source/ (lessons with solutions and hidden tests), release/,
submitted/, autograded/, feedback/, reports/ and the gradebook (sqlite gradebook.db unless
--db-url is given; several graders on several machines: use one PostgreSQL URL).
Bad input gives a one-line message and exit code 2.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's usage errors: also exit code 2, one line + usage
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="backprop-grade",
        description="Grade the backprop course with nbgrader: release, collect, autograde (in "
        "parallel), feedback, export, report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--course-dir",
        type=Path,
        default=None,
        help="nbgrader course directory (default: the current directory if it has source/, "
        "else the repository root)",
    )
    p.add_argument(
        "--db-url",
        default=None,
        help="gradebook URL (default: sqlite:///<course-dir>/gradebook.db; "
        "postgresql://user@host/db works too)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def lessons_arg(sp):
        sp.add_argument("lessons", nargs="*", metavar="LESSON", help="lesson ids (default: all)")

    def students_arg(sp):
        sp.add_argument("--student", nargs="+", default=None, help="only these students")

    def workers_arg(sp):
        sp.add_argument(
            "--workers",
            type=int,
            default=None,
            help="worker processes (default: one per core)",
        )
        sp.add_argument(
            "--no-pool",
            action="store_true",
            help="start each kernel on demand (no pre-started kernels)",
        )

    def engine_args(sp):
        sp.add_argument(
            "--engine",
            choices=("dask", "processes"),
            default="processes",
            help="processes: the local process pool (default); dask: Dask distributed (a "
            "LocalCluster unless --scheduler; implied by --scheduler and --cluster slurm)",
        )
        sp.add_argument(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="grade on an existing Dask cluster, e.g. tcp://host:8786",
        )
        sp.add_argument(
            "--cluster",
            choices=("local", "slurm"),
            default="local",
            help="local: a LocalCluster (default); slurm: submit dask workers as Slurm jobs",
        )
        sp.add_argument("--cores", type=int, default=2, help="slurm: cores per job")
        sp.add_argument("--memory", default="4GB", help="slurm: memory per job")
        sp.add_argument("--walltime", default="01:00:00", help="slurm: walltime per job")
        sp.add_argument("--queue", default=None, help="slurm: partition")
        sp.add_argument("--jobs", type=int, default=1, help="slurm: number of batch jobs")

    sp = sub.add_parser("release", help="generate release/ (nbgrader generate_assignment)")
    lessons_arg(sp)
    sp.add_argument("--exchange", action="store_true", help="also release to the exchange")

    sp = sub.add_parser("collect", help="collect submissions (exchange, folder or zip)")
    lessons_arg(sp)
    students_arg(sp)
    sp.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        help="folder or zip of <student>/<lesson>/*.ipynb (default: the nbgrader exchange)",
    )

    sp = sub.add_parser("autograde", help="autograde collected submissions in parallel")
    lessons_arg(sp)
    students_arg(sp)
    workers_arg(sp)
    engine_args(sp)
    sp.add_argument(
        "--resume",
        action="store_true",
        help="grade only the submissions without a finished autograde (after an interrupted "
        "run); the default regrades everything",
    )

    sp = sub.add_parser("feedback", help="feedback HTML for students (no hidden tests)")
    lessons_arg(sp)
    students_arg(sp)
    sp.add_argument("--workers", type=int, default=None, help="processes (default: cores)")

    sp = sub.add_parser("export", help="grades CSV, one row per student (or Canvas / Moodle)")
    sp.add_argument(
        "--format", choices=("csv", "canvas", "moodle"), default="csv", help="default: csv"
    )
    sp.add_argument(
        "--roster",
        type=Path,
        default=None,
        help="CSV mapping nbgrader ids to LMS ids (canvas, moodle): student,name,canvas_id,"
        "sis_user_id,sis_login_id,section,email,idnumber",
    )
    sp.add_argument(
        "--moodle-key", choices=("email", "idnumber"), default="email", help="default: email"
    )
    sp.add_argument(
        "--output", type=Path, default=None, help="default: reports/grades[-canvas|-moodle].csv"
    )

    sp = sub.add_parser("report", help="class report (Markdown, HTML, PNG)")
    sp.add_argument("--output", type=Path, default=None, help="folder (default: reports/)")

    sp = sub.add_parser("all", help="release, collect, autograde, feedback, export, report")
    lessons_arg(sp)
    students_arg(sp)
    workers_arg(sp)
    sp.add_argument("--from", dest="source", type=Path, default=None)
    sp.add_argument("--exchange", action="store_true", help="also release to the exchange")
    return p


# ----------------------------------------------------------------------------- context
class Course:
    """The course directory, its config and one NbGraderAPI (built lazily)."""

    def __init__(self, course_dir: Path, db_url: str | None, progress: bool = True):
        ensure_venv_on_path()  # nbgrader runs `alembic` when it creates a gradebook
        self.dir = course_dir.resolve()
        self.db_url = normalize_db_url(db_url or default_db_url(self.dir))
        self.progress = progress
        self._api = None

    @property
    def api(self):
        if self._api is None:
            from nbgrader.apps import NbGraderAPI

            from autograder.grading.reporting.feedback import feedback_config

            cfg = feedback_config(build_config(self.dir, self.db_url))
            cfg.NbGraderAPI.log_level = "WARN"
            self._api = NbGraderAPI(config=cfg)
        return self._api

    @property
    def reports(self) -> Path:
        return self.dir / "reports"


def resolve_course_dir(arg: Path | None) -> Path:
    if arg is not None:
        if not arg.is_dir():
            raise GradingError(f"course directory not found: {arg}")
        return arg
    cwd = Path.cwd()
    return cwd if (cwd / "source").is_dir() else REPO_ROOT


def check_db(db_url: str) -> None:
    """Open the gradebook once (creating it if needed); one-line error if unreachable."""
    import sqlalchemy

    connect_args = {"connect_timeout": 5} if db_url.startswith("postgres") else {}
    try:
        engine = sqlalchemy.create_engine(db_url, connect_args=connect_args)
        with engine.connect():
            pass
        engine.dispose()
    except ModuleNotFoundError as exc:
        raise GradingError(f"gradebook {db_url}: driver missing ({exc.name})") from None
    except Exception as exc:  # noqa: BLE001 - any driver error: unreachable
        msg = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise GradingError(f"gradebook unreachable: {db_url}: {msg[0] if msg else exc}") from None


# ----------------------------------------------------------------------------- steps
def step_release(course: Course, lessons, exchange=False) -> list[str]:
    from tqdm import tqdm

    from autograder.grading.config import COURSE_ID
    from autograder.grading.scoring import late_policy

    # course.toml (due dates, extensions, late penalty): dates into the gradebook, where
    # nbgrader measures lateness from, and onto the top of each released notebook.
    policy = late_policy.load_policy(course.dir / late_policy.COURSE_FILE)
    done = []
    for lesson in tqdm(lessons, desc="release", unit="lesson", disable=not course.progress):
        res = course.api.generate_assignment(lesson, force=True, create=True)
        if not res.get("success"):
            raise GradingError(f"generate_assignment {lesson} failed: {_last_line(res)}")
        if policy is not None:
            for nb_path in sorted((course.dir / "release" / lesson).glob("*.ipynb")):
                late_policy.add_due_banner(nb_path, policy, lesson)
        if exchange:
            res = course.api.release_assignment(lesson)
            if not res.get("success"):
                raise GradingError(f"release to exchange {lesson} failed: {_last_line(res)}")
        done.append(lesson)
    if policy is not None:
        late_policy.set_due_dates(course.db_url, policy, COURSE_ID)
    return done


def step_collect(course: Course, lessons, source=None, students=None):
    from autograder.grading.cli.collect import collect_from, collect_from_exchange

    if source is not None:
        rep = collect_from(course.dir, source, lessons, students)
    else:
        rep = collect_from_exchange(course.api, lessons)
        if not rep.copied:
            raise GradingError(
                f"nothing to collect from the exchange ({course.dir / 'exchange'}); "
                "use --from FOLDER_OR_ZIP"
            )
    for line in rep.problems:
        print(f"warning: {line}", file=sys.stderr)
    return rep


def _gradebook_lessons(db_url: str) -> set[str]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, COURSE_ID) as gb:
        return {a.name for a in gb.assignments}


def _autograde_finished(course: Course, student: str, lesson: str) -> bool:
    """nbgrader writes autograded/<student>/<lesson>/<nb>.ipynb when a notebook is done (after
    its scores are saved): finished means every submitted notebook has one, not older than it."""
    sub = course.dir / "submitted" / student / lesson
    out = course.dir / "autograded" / student / lesson
    notebooks = sorted(sub.glob("*.ipynb"))
    return bool(notebooks) and all(
        (out / nb.name).is_file() and (out / nb.name).stat().st_mtime >= nb.stat().st_mtime
        for nb in notebooks
    )


def step_autograde(
    course: Course,
    lessons,
    students=None,
    workers=None,
    pool=True,
    engine="processes",
    scheduler=None,
    cluster="local",
    slurm=None,
    resume=False,
):
    from autograder.grading.cli.collect import submitted_jobs
    from autograder.grading.execution.workers import Job, run_parallel

    known = _gradebook_lessons(course.db_url)
    missing = [x for x in lessons if x not in known]
    if missing:
        raise GradingError(
            f"lesson {', '.join(missing)} not in the gradebook: run `backprop-grade release` first"
        )
    pairs = submitted_jobs(course.dir, lessons, students)
    if students:
        found = {s for s, _ in pairs}
        absent = [s for s in students if s not in found]
        if absent:
            raise GradingError(f"no submissions for student {', '.join(absent)} in submitted/")
    if not pairs:
        raise GradingError(f"nothing to autograde in {course.dir / 'submitted'} (run collect)")
    if resume:
        pairs = [(s, lesson) for s, lesson in pairs if not _autograde_finished(course, s, lesson)]
        if not pairs:
            return [], 0.0, []
    jobs = [Job(lesson, student) for student, lesson in pairs]
    t0 = time.perf_counter()
    if engine == "dask" or scheduler or cluster != "local":
        from autograder.grading.execution import dask_engine

        try:
            results = dask_engine.run_dask(
                course.dir,
                course.db_url,
                jobs,
                workers,
                pool,
                course.progress,
                scheduler,
                cluster_kind=cluster,
                slurm=slurm,
            )
        except dask_engine.GradingError as exc:
            raise GradingError(str(exc)) from None
    else:
        results = run_parallel(
            course.dir,
            course.db_url,
            jobs,
            workers=workers,
            use_pool=pool,
            progress=course.progress,
        )
    wall = time.perf_counter() - t0
    failures = [f"{r.student}/{r.lesson}: {r.error}" for r in results if not r.ok]
    for line in failures:
        print(f"warning: not graded: {line}", file=sys.stderr)
    return results, wall, failures


def step_feedback(course: Course, lessons, students=None, workers=None):
    from autograder.grading.execution.workers import feedback_parallel

    auto = course.dir / "autograded"
    pairs = []
    if auto.is_dir():
        for sdir in sorted(p for p in auto.iterdir() if p.is_dir()):
            if students and sdir.name not in students:
                continue
            for lesson in lessons:
                if any((sdir / lesson).glob("*.ipynb")):
                    pairs.append((sdir.name, lesson))
    if not pairs:
        raise GradingError(f"no autograded submissions in {auto} (run autograde)")
    problems = feedback_parallel(course.dir, course.db_url, pairs, workers, course.progress)
    for line in problems:
        print(f"warning: {line}", file=sys.stderr)
    return pairs, problems


def step_export(course: Course, output=None) -> Path:
    from autograder.grading.reporting.export import read_grades, write_csv

    g = read_grades(course.db_url, course_dir=course.dir)
    if not g.lessons:
        raise GradingError("the gradebook has no lessons yet (run release and autograde)")
    return write_csv(g, output or course.reports / "grades.csv")


def step_lms_export(course: Course, fmt: str, roster, output=None, key: str = "email"):
    """Canvas or Moodle import file; students the roster does not match are reported."""
    from autograder.grading.reporting import lms_export
    from autograder.grading.reporting.export import read_grades

    if roster is None:
        raise GradingError(f"export --format {fmt} needs --roster (nbgrader id -> LMS id CSV)")
    table = lms_export.read_roster(roster)
    g = read_grades(course.db_url, course_dir=course.dir)
    if not g.lessons:
        raise GradingError("the gradebook has no lessons yet (run release and autograde)")
    path = output or course.reports / f"grades-{fmt}.csv"
    if fmt == "canvas":
        res = lms_export.write_canvas(g, table, path)
    else:
        res = lms_export.write_moodle(g, table, path, key)
    print(f"{fmt}: {res.path} ({res.rows} student(s))")
    if res.unmatched:
        print(
            f"warning: {len(res.unmatched)} graded student(s) not matched by the roster, "
            f"grades in {res.unmatched_path}: {', '.join(res.unmatched)}",
            file=sys.stderr,
        )
    if res.ungraded:
        print(
            f"warning: {len(res.ungraded)} roster student(s) without grades: "
            f"{', '.join(res.ungraded)}",
            file=sys.stderr,
        )
    return res


def step_report(course: Course, output=None, failures=None) -> dict:
    from autograder.grading.reporting.class_report import scan_autograded, write_report
    from autograder.grading.reporting.export import read_grades
    from autograder.grading.reporting.similarity import similarity_report

    g = read_grades(course.db_url, course_dir=course.dir)
    if not g.lessons:
        raise GradingError("the gradebook has no lessons yet (run release and autograde)")
    ins = scan_autograded(course.dir, g.lessons)
    similar = similarity_report(course.dir, g.lessons)
    paths = write_report(g, ins, output or course.reports, failures, similar)
    paths["similar"] = similar
    try:  # integrity.py's own report (flags of preflight, sandbox, shortcut scan)
        from autograder.grading.integrity import build_report

        build_report(course.dir)
        paths["integrity"] = course.dir / "integrity" / "report.md"
    except Exception:  # noqa: BLE001 - optional module; the class report has the flags too
        pass
    return paths


def _last_line(res: dict) -> str:
    text = ((res.get("log") or "") + "\n" + (res.get("error") or "")).strip().splitlines()
    lines = [x.strip() for x in text if x.strip()]
    return lines[-1][:200] if lines else "no details"


# ----------------------------------------------------------------------------- main
def run(args) -> int:
    course_dir = resolve_course_dir(args.course_dir)
    course = Course(course_dir, args.db_url, progress=not args.no_progress)
    cmd = args.command
    if cmd in ("release", "all") and not (course.dir / "source").is_dir():
        raise GradingError(f"no source/ folder in the course directory {course.dir}")
    check_db(course.db_url)
    lessons = None
    if cmd in ("release", "collect", "autograde", "feedback", "all"):
        lessons = resolve_lessons(course.dir, args.lessons)
    if cmd == "release":
        done = step_release(course, lessons, args.exchange)
        print(f"released {len(done)} lesson(s) into {course.dir / 'release'}")
    elif cmd == "collect":
        rep = step_collect(course, lessons, args.source, args.student)
        print(f"collected {len(rep.copied)} submission(s) into {course.dir / 'submitted'}")
    elif cmd == "autograde":
        results, wall, failures = step_autograde(
            course,
            lessons,
            args.student,
            args.workers,
            not args.no_pool,
            args.engine,
            args.scheduler,
            args.cluster,
            {
                "cores": args.cores,
                "memory": args.memory,
                "walltime": args.walltime,
                "queue": args.queue,
                "jobs": args.jobs,
            },
            resume=args.resume,
        )
        ok = sum(r.ok for r in results)
        print(f"autograded {ok}/{len(results)} submission(s) in {wall:.1f} s")
    elif cmd == "feedback":
        pairs, problems = step_feedback(course, lessons, args.student, args.workers)
        print(
            f"feedback for {len(pairs) - len(problems)} submission(s) in {course.dir / 'feedback'}"
        )
    elif cmd == "export":
        if args.format == "csv":
            path = step_export(course, args.output)
            print(f"grades: {path}")
        else:
            step_lms_export(course, args.format, args.roster, args.output, args.moodle_key)
    elif cmd == "report":
        paths = step_report(course, args.output)
        print(f"report: {paths['markdown']}  {paths['html']}  {paths['png']}")
        if paths.get("similar"):
            print(f"similar submissions: {len(paths['similar'])} pair(s), listed in the report")
    elif cmd == "all":
        step_release(course, lessons, args.exchange)
        step_collect(course, lessons, args.source, args.student)
        results, wall, failures = step_autograde(
            course, lessons, args.student, args.workers, not args.no_pool
        )
        step_feedback(course, lessons, args.student, args.workers)
        csv_path = step_export(course)
        paths = step_report(course, failures=failures)
        ok = sum(r.ok for r in results)
        print(f"autograded {ok}/{len(results)} submission(s) in {wall:.1f} s")
        print(f"grades: {csv_path}\nfeedback: {course.dir / 'feedback'}\nreport: {paths['html']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    ensure_venv_on_path()
    quiet_libraries()
    try:
        return run(args)
    except GradingError as exc:
        print(f"backprop-grade: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("backprop-grade: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug or os.environ.get("BACKPROP_GRADE_DEBUG"):
            raise
        print(
            f"backprop-grade: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
