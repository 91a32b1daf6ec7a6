"""The `mllab` command: parses arguments and calls the package, nothing else."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from mllab.errors import MllabError
from mllab.course.paths import Course, check_assignment, check_assignments, find_course_root


def _where_to_grade(command: argparse.ArgumentParser) -> None:
    """The options `autograde` and `serve` share: the sandbox, and the local pool or a Dask cluster."""
    command.add_argument("--unsafe-no-sandbox", action="store_true",
                         help="run students' code without the bubblewrap sandbox (only for trusted submissions)")
    where = command.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="grade on the workers of a running Dask cluster (e.g. tcp://10.0.0.5:8786)")
    where.add_argument("--scheduler-file", dest="scheduler", default=None, metavar="FILE",
                       help="the same, with the scheduler's address read from a Dask scheduler file")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mllab", description="Tools of the Loss and Metric lab course.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="release, demo class, autograde, feedback and grades for the demo class")
    demo.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                      help="the assignments (default: every one course.toml declares)")
    release = sub.add_parser("release", help="generate the student release with nbgrader")
    release.add_argument("assignment")
    round_demo = sub.add_parser("demo-round-trip", help="the demo class through nbgrader's exchange, in a scratch "
                                "copy of the course: hand out, fetch, submit, collect, grade, feedback, export")
    round_demo.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                            help="the assignments (default: every one course.toml declares)")
    demo_class = sub.add_parser("demo-class", help="write the demo submissions into submitted/")
    demo_class.add_argument("assignment")
    grade = sub.add_parser("autograde", help="autograde every submission in parallel (resumable)")
    grade.add_argument("assignment")
    grade.add_argument("--jobs", type=int, default=None, help="parallel workers (default: one per core)")
    grade.add_argument("--student", action="extend", nargs="+", default=None, metavar="ID",
                       help="only these students")
    grade.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    grade.add_argument("--wall-limit", type=float, default=None, metavar="SECONDS",
                       help="most time one submission may take in all (default 600)")
    grade.add_argument("--cell-timeout", type=int, default=None, metavar="SECONDS",
                       help="most time one cell may run (default: the course's nbgrader config)")
    grade.add_argument("--memory-limit", type=float, default=None, metavar="GB",
                       help="memory of one student's kernel (default 6; 0 for no limit)")
    _where_to_grade(grade)
    proof = sub.add_parser("check-tests", help="prove an assignment's hidden tests before release: the solution on "
                           "many seeds, its corpus's alternatives and named mistakes, contracts, visible checks")
    proof.add_argument("assignment")
    proof.add_argument("--seeds", type=int, default=50, help="students handing in the solution, each with its own "
                       "seed (default 50)")
    proof.add_argument("--jobs", type=int, default=None, help="parallel workers (default: one per core)")
    proof.add_argument("--task", default=None, help="only this task of the corpus (e.g. '1 MSE/MAE')")
    proof.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the verdicts to FILE")
    serve = sub.add_parser("serve", help="the grading service: grade every hand-in in the exchange as it arrives "
                           "and release its feedback to that student (runs until Ctrl-C or SIGTERM)")
    serve.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                       help="the assignments to serve (default: every one handed out into the exchange)")
    serve.add_argument("--jobs", type=int, default=None, help="hand-ins graded at once (default: one per core)")
    serve.add_argument("--poll", type=float, default=0.5, metavar="SECONDS",
                       help="how often to look for new hand-ins (default 0.5)")
    _where_to_grade(serve)
    sub.add_parser("serve-status", help="what the grading service is doing: queue, in progress, last graded, errors")
    hand_out = sub.add_parser("hand-out", help="release an assignment into nbgrader's exchange for students to fetch")
    hand_out.add_argument("assignment")
    round_trip = sub.add_parser("collect-and-grade", help="collect submissions from the exchange, autograde, "
                                "release feedback and write the report (safe to rerun)")
    round_trip.add_argument("assignment")
    roster = sub.add_parser("import-roster", help="check a roster CSV (id,first_name,last_name,email,lms_user_id) "
                            "and import it into the gradebook")
    roster.add_argument("roster", type=Path)
    report = sub.add_parser("report", help="write reports/<assignment>.html and .csv files for TAs (or, with "
                            "--course, reports/course.html over every assignment)")
    report.add_argument("assignment", nargs="?")
    report.add_argument("--course", action="store_true", dest="whole_course",
                        help="one row per student over all assignments: who falls behind, which mistakes come back")
    report.add_argument("--real-ids", action="store_true",
                        help="name students by their real ids in the analytics (pseudonyms by default)")
    similarity = sub.add_parser("similarity", help="write reports/<assignment>-similarity.html and .csv: pairs of "
                                "students whose solutions are alike (a reason to look, never a verdict)")
    similarity.add_argument("assignment")
    similarity.add_argument("--against", action="append", type=Path, default=[], metavar="FOLDER",
                            help="an earlier year's submitted/ or autograded/ folder to compare with (repeatable)")
    similarity.add_argument("--real-ids", action="store_true", help="name students by their real ids (pseudonyms by default)")
    new = sub.add_parser("new-assignment", help="add a session: a source notebook with one worked example task, "
                         "its hidden checks, alternatives, mistakes and demo class, and its table in course.toml")
    new.add_argument("name", help="lower case letters, digits and _ (the folder source/NAME/ and mllab.checks.NAME)")
    new.add_argument("--title", default=None, help="the notebook's title (default: from the name)")
    new.add_argument("--due", default=None, metavar="DATETIME",
                     help="the deadline with its UTC offset, e.g. 2027-02-12T23:59:00+01:00 "
                     "(default: two weeks after the last one, at 23:59)")
    remove = sub.add_parser("remove-assignment", help="take an assignment out: its source and release folders, its "
                            "own modules, its table in course.toml and its gradebook entry")
    remove.add_argument("name")
    remove.add_argument("--force", action="store_true",
                        help="also delete students' submissions, grades and feedback of it")
    scores = sub.add_parser("scores", help="print the autograded scores from the gradebook")
    scores.add_argument("assignment")
    sub.add_parser("make-data", help="write the committed data files (the cat, the offline pet stand-in and the results tables)")
    fetch = sub.add_parser("fetch-data", help="download the real Oxford-IIIT Pet yorkshire terrier")
    fetch.add_argument("--url", default=os.environ.get("MLLAB_PETS_URL"), help="base URL of the archives")
    fetch.add_argument("--archive-dir", help="folder that already holds images.tar.gz and annotations.tar.gz")
    return parser


def _run(args: argparse.Namespace, course: Course) -> None:
    if args.command == "demo":
        from mllab.demo import run_demo
        run_demo(course, check_assignments(course, args.assignments))
    elif args.command == "release":
        from mllab.course.nbgrader_steps import generate_release
        release, refreshed = generate_release(course, check_assignment(course, args.assignment))
        print("\n".join([*(f"refreshed {path} from course.toml and data/" for path in refreshed), str(release)]))
    elif args.command == "demo-round-trip":
        from mllab.round_trip import demo_round_trip
        demo_round_trip(course, check_assignments(course, args.assignments))
    elif args.command == "demo-class":
        from mllab.classes.demo import write_demo_class
        print("\n".join(write_demo_class(course, check_assignment(course, args.assignment))))
    elif args.command == "autograde":
        from mllab.autograde.run import autograde_from_cli
        print(autograde_from_cli(course, check_assignment(course, args.assignment), args,
                                 say=lambda line: print(line, file=sys.stderr)))
    elif args.command == "check-tests":
        from mllab.checktests.run import check_tests
        check_tests(course.root, check_assignment(course, args.assignment), seeds=args.seeds, jobs=args.jobs,
                    task=args.task, json_file=args.json, progress=lambda line: print(line, file=sys.stderr))
    elif args.command == "serve":
        from mllab.serve.service import serve
        serve(course, tuple(check_assignment(course, a) for a in args.assignments), poll=args.poll,
              say=lambda line: print(line, file=sys.stderr, flush=True), jobs=args.jobs, scheduler=args.scheduler,
              sandboxed=not args.unsafe_no_sandbox)
    elif args.command == "serve-status":
        from mllab.serve.status import status_text
        print(status_text(course))
    elif args.command == "hand-out":
        from mllab.round_trip import hand_out
        hand_out(course, check_assignment(course, args.assignment))
    elif args.command == "collect-and-grade":
        from mllab.round_trip import collect_and_grade
        collect_and_grade(course, check_assignment(course, args.assignment),
                          say=lambda line: print(line, file=sys.stderr))
    elif args.command == "import-roster":
        from mllab.course.roster import import_roster
        entries = import_roster(course, args.roster)
        print(f"imported {len(entries)} students from {args.roster} into the gradebook")
    elif args.command == "report":
        from mllab.report.write import report_from_cli
        print("\n".join(str(p) for p in report_from_cli(course, args.assignment, whole_course=args.whole_course,
                                                        real_ids=args.real_ids)))
    elif args.command == "similarity":
        from mllab.similarity.report import write_similarity
        print("\n".join(str(p) for p in write_similarity(course, check_assignment(course, args.assignment),
                                                          tuple(args.against), real_ids=args.real_ids)))
    elif args.command in ("new-assignment", "remove-assignment"):
        from mllab.course import scaffold
        if args.command == "new-assignment":
            written = scaffold.new_assignment(course, args.name, title=args.title, due=args.due)
            print("\n".join([*map(str, written), f"next: mllab release {args.name} && mllab demo-class {args.name} "
                              f"&& mllab autograde {args.name} && mllab check-tests {args.name}"]))
        else:
            print("\n".join(f"removed {path}" for path in scaffold.remove_assignment(course, args.name, force=args.force)))
    elif args.command == "scores":
        from mllab.course.scores import assignment_scores, score_table
        print(score_table(assignment_scores(course, check_assignment(course, args.assignment))))
    elif args.command == "make-data":
        from mllab.data.standin import make_data
        make_data(course.data)
        print(f"wrote the cat, the offline pet stand-in and the results tables to {course.data}")
    elif args.command == "fetch-data":
        from mllab.data.fetch import fetch_pet
        options = {"base_url": args.url} if args.url else {}
        archive_dir = Path(args.archive_dir) if args.archive_dir else None
        print(fetch_pet(course.data, archive_dir=archive_dir, **options))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args, Course(find_course_root()))
    except MllabError as error:
        print(f"mllab {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
