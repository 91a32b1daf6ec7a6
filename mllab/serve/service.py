"""`mllab serve`: grade each hand-in the moment it arrives, and return its feedback to that student.

Every ``poll`` seconds the service does one round:

1. notice the new hand-ins in the exchange's inbound folder and note each in the ledger (one that
   is not the student's own is refused there, with the reason);
2. record each hand-in whose grading ended, and release its feedback page (see :mod:`.pages`);
3. at a student's own deadline (extension included), release the final feedback of their last
   hand-in before it, grading it first if it was not graded yet;
4. start grading the newest waiting hand-in of each student (older ones are superseded), within
   the feedback policy and limit of course.toml ``[serve]``, on warm workers;
5. write the status (:mod:`.status`).

A hand-in is known by (assignment, student, nbgrader's timestamp) and is done only once its grades
are recorded and its feedback released, so a service killed at any moment grades after a restart
what it had not finished (and what arrived while it was down), and a result recorded just before
the kill is not graded again. A grader-side failure is tried again, up to ``TRIES`` times, and is
never a 0. While the service runs it holds the course's grading lock: `mllab autograde` and
`mllab collect-and-grade` refuse with a message instead of grading the same students.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from mllab.autograde.lock import grading_lock
from mllab.autograde.pool import WorkerCannotStart
from mllab.autograde.record import GradebookUnavailable
from mllab.autograde.sandbox import SandboxUnavailable
from mllab.autograde.state import Outcome
from mllab.course import exchange
from mllab.course.assignments import assignment_names
from mllab.course.deadlines import deadlines, read_extensions
from mllab.course.paths import Course
from mllab.errors import MllabError, UsageError
from mllab.round_trip import course_id
from mllab.serve import pages
from mllab.serve.full_feedback import FullFeedback
from mllab.serve.graders import Graders
from mllab.serve.inbox import collect, complete_entries, key, moment, submitted_timestamp
from mllab.serve.ledger import Ledger, Row
from mllab.course.feedback_policy import Policy, load_policy
from mllab.course.inbound import InboundEntry, parse_entry, refusal
from mllab.serve.status import write_status

TRIES = 3  # grader-side failures of one hand-in before it is left to the instructor (status error)
LAST = 20
SETTLE = 1.0  # seconds a course file must rest before the service rereads it


def served_assignments(course: Course, names: tuple[str, ...]) -> tuple[str, ...]:
    """The named assignments, or every course assignment handed out into the exchange."""
    if names:
        return names
    outbound = exchange.exchange_root(course) / course_id(course) / "outbound"
    found = tuple(a for a in assignment_names(course.root) if (outbound / a).is_dir())
    if not found:
        raise UsageError(f"no assignment has been handed out into {outbound}: run `mllab hand-out ASSIGNMENT` "
                         "first, or name the assignments to serve")
    return found


class Service:
    """One grading service on a course (see the module docstring)."""

    def __init__(self, course: Course, assignments: tuple[str, ...], *, say: Callable[[str], None],
                 **grading) -> None:
        self.course, self.assignments, self.say = course, assignments, say
        root = exchange.ensure_exchange(course) / course_id(course)
        self.inbound, self.outbound_feedback = root / "inbound", root / "feedback"
        for assignment in assignments:
            if not course.release_notebook(assignment).is_file():
                raise UsageError(f"{course.release_notebook(assignment)} is missing: run `mllab hand-out {assignment}` "
                                 "first")
        self.ledger = Ledger(course.root / ".mllab" / "serve" / "ledger.db")
        self.log = open(course.root / ".mllab" / "serve" / "serve.log", "a", encoding="utf-8")
        self.kinds: dict[tuple[str, str], tuple[Row, str]] = {}
        self.graded, self.errors, self.last = 0, [], []
        self.due: dict[str, dt.datetime] = {}
        self.extra: dict[tuple[str, str], dt.timedelta] = {}
        self.policy = Policy()
        self._read_course(force=True)
        self.graders = Graders(course, assignments, **grading)
        self.full = FullFeedback(course)

    # -- the rounds ------------------------------------------------------------------------------

    def round(self) -> None:
        self._read_course()
        self._notice()
        self._finish()
        self._finals()
        self._dispatch()
        self._status()

    def _read_course(self, *, force: bool = False) -> None:
        """course.toml and extensions.csv, read every round so that an instructor's change takes effect;
        a file with a mistake keeps the last good values and says what is wrong. A file changed in the
        last second is read in a later round: an editor may be writing it (half a file could parse)."""
        if not force and _settling(self.course.root / "course.toml", self.course.root / "extensions.csv"):
            return
        try:
            policy, due = load_policy(self.course.root), deadlines(self.course.root)
            extensions = read_extensions(self.course.root)
        except UsageError as error:
            if force:
                raise
            self._note_error(f"course settings not reloaded (the last good ones still hold): {error}")
            return
        self.policy, self.due = policy, due
        self.extra = {key: e.extra for key, e in extensions.items()}

    def _deadline(self, assignment: str, student: str) -> dt.datetime | None:
        due = self.due.get(assignment)
        return None if due is None else due + self.extra.get((student, assignment), dt.timedelta(0))

    def _notice(self) -> None:
        known = self.ledger.known()
        for assignment in self.assignments:
            for entry in complete_entries(self.inbound, assignment):
                if key(entry) in known:
                    continue
                why = refusal(entry)
                self.ledger.add(key(entry), entry.path.name, state="refused" if why else "waiting",
                                detail=why or "")
                if why:
                    self._line(f"{entry.student} {entry.assignment} refused: the hand-in {entry.path.name} does not "
                               f"count ({why}); it stays in the exchange for the instructor to look at")

    def _finish(self) -> None:
        for job, outcome in self.graders.finished():
            row, kind = self.kinds.pop((job.assignment, job.student))
            if outcome.status == "error":
                self._failed(row, outcome)
                continue
            score = "-" if outcome.score is None else f"{outcome.score:g}"
            self._line(f"{row.student} {row.assignment} recorded ({outcome.status}, score {score}, hand-in of "
                       f"{row.timestamp})")
            self._deliver(row, kind, outcome)

    def _failed(self, row: Row, outcome: Outcome) -> None:
        """A grader-side failure: tried again in the next round, up to TRIES times; never a 0."""
        tries = self.ledger.count_attempt(row.key)
        if tries < TRIES:
            self._line(f"{row.student} {row.assignment} error (try {tries} of {TRIES}, will retry): {outcome.detail}")
            return
        self.ledger.set_state(row.key, "error", status="error", finished=time.time(), detail=outcome.detail[:500])
        self._note_error(f"{row.student} {row.assignment} ({row.timestamp}): {outcome.detail} (no grade, not 0: "
                         f"look at it, then `mllab serve` grades it again once it is handed in again)")

    def _finals(self) -> None:
        """At each student's deadline: the final feedback of their last hand-in before it."""
        now = dt.datetime.now(dt.timezone.utc)
        for (assignment, student), rows in _by_student(self.ledger.all_rows()).items():
            deadline = self._deadline(assignment, student)
            if (deadline is None or now < deadline or (assignment, student) in self.graders.running
                    or self.ledger.final(assignment, student) is not None):
                continue
            on_time = [r for r in rows if r.state != "refused" and moment(r.timestamp) <= deadline]
            if not on_time or on_time[-1].state == "error":
                continue
            last = on_time[-1]
            for older in on_time[:-1]:
                if older.state in ("waiting", "deferred"):
                    self.ledger.set_state(older.key, "superseded")
            if last.state == "done" and submitted_timestamp(self.course, student, assignment) == last.timestamp:
                self._release_final(last)
            elif self.graders.free:
                self._grade(last, "final")

    def _release_final(self, row: Row) -> None:
        try:
            self._release_full(row, row.status or "graded", row.detail)
        except Exception as error:  # noqa: BLE001 - a failed page is tried again, the service goes on
            self._failed(row, Outcome(row.student, "error", detail=f"its final feedback failed: {error}"))
            return
        self.ledger.set_final(row.assignment, row.student, row.timestamp)
        self._line(f"{row.student} {row.assignment} final feedback released (hand-in of {row.timestamp})")

    def _dispatch(self) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        for (assignment, student), rows in _by_student(self.ledger.open_rows()).items():
            if not self.graders.free:
                return
            if (assignment, student) in self.graders.running:
                continue
            deadline = self._deadline(assignment, student)
            past = deadline is not None and now >= deadline
            if past and self.ledger.final(assignment, student) is None and any(
                    moment(r.timestamp) <= deadline for r in rows):
                continue  # the final feedback of the hand-in before the deadline comes first (_finals)
            newest = rows[-1]
            for older in rows[:-1]:
                self.ledger.set_state(older.key, "superseded")
            self._consider(newest, past, now)

    def _consider(self, row: Row, past: bool, now: dt.datetime) -> None:
        """Grade the hand-in now, or keep it when the student is past the feedback limit."""
        if past:
            return self._grade(row, "full")
        if self.policy.feedback == "none":
            return self._grade(row, "none")
        window = self.policy.window.total_seconds()
        used = self.ledger.graded_feedback_times(row.assignment, row.student, now.timestamp() - window)
        if self.policy.limit and len(used) >= self.policy.limit:
            if row.state != "deferred":
                self._defer(row, used, window)
            return None
        return self._grade(row, self.policy.feedback)

    def _defer(self, row: Row, used: list[float], window: float) -> None:
        hand_in = self._collect(row)
        if hand_in is None:
            return
        next_time = dt.datetime.fromtimestamp(used[-self.policy.limit] + window, dt.timezone.utc)
        page = pages.limited_page(row.assignment, moment(row.timestamp), len(used), next_time, self.policy)
        self._put(row, page)
        self.ledger.set_state(row.key, "deferred")
        self._line(f"{row.student} {row.assignment} kept past the feedback limit ({len(used)} in the window); "
                   f"graded at {next_time:%Y-%m-%d %H:%M} UTC or at the deadline")

    def _collect(self, row: Row, *, backwards: bool = False) -> InboundEntry | None:
        """Take the hand-in into submitted/ (unless it is there); never replace a newer one, except for the final."""
        path = self.inbound / row.entry
        if not path.is_dir():
            self.ledger.set_state(row.key, "error", status="error", detail="the hand-in is gone from the exchange")
            self._note_error(f"{row.student} {row.assignment} ({row.timestamp}): the hand-in is gone from {path}")
            return None
        hand_in = parse_entry(path)
        if hand_in is None or refusal(hand_in) is not None:  # changed since it was noticed
            self.ledger.set_state(row.key, "refused", detail=refusal(hand_in) if hand_in else "gone")
            return None
        there = submitted_timestamp(self.course, row.student, row.assignment)
        if there == row.timestamp:
            return hand_in
        if there is not None and moment(there) > moment(row.timestamp) and not backwards:
            self.ledger.set_state(row.key, "superseded")
            return None
        collect(self.course, hand_in)
        return hand_in

    def _grade(self, row: Row, kind: str) -> None:
        if self._collect(row, backwards=kind == "final") is None:
            return
        recorded = self.graders.recorded_before(row.assignment, row.student)
        if recorded is not None:
            self._line(f"{row.student} {row.assignment} was recorded before a restart: not graded again")
            return self._deliver(row, kind, recorded)
        self.kinds[(row.assignment, row.student)] = (row, kind)
        self.graders.start(row.assignment, row.student, row.timestamp)
        return None

    def _deliver(self, row: Row, kind: str, outcome: Outcome) -> None:
        """Release the page the policy promises; then the hand-in is done."""
        handed_in = moment(row.timestamp)
        try:
            if kind == "none":
                page = pages.receipt_page(row.assignment, handed_in, self._deadline(row.assignment, row.student),
                                          self.policy)
                self._put(row, page)
            elif kind == "tasks" and outcome.status != "ungradable":
                self._put(row, pages.tasks_page(self.course, row.assignment, row.student, handed_in, self.policy))
            else:
                self._release_full(row, outcome.status, outcome.detail)
        except Exception as error:  # noqa: BLE001 - a failed page is tried again, the service goes on
            self._failed(row, Outcome(row.student, "error", detail=f"its feedback page failed: {error}"))
            return
        self.ledger.set_state(row.key, "done", status=outcome.status, score=outcome.score, feedback=kind,
                              finished=time.time(), detail=outcome.detail[:500])
        if kind == "final":
            self.ledger.set_final(row.assignment, row.student, row.timestamp)
        self.graded += 1
        seconds = time.time() - handed_in.timestamp()
        score = "" if outcome.score is None else f"{outcome.score:g}"
        self._line(f"{row.student} {row.assignment} {outcome.status} score {score or '-'} feedback {kind} "
                   f"{seconds:.1f} s from hand-in to released feedback")

    def _release_full(self, row: Row, status: str, detail: str) -> None:
        """nbgrader's whole feedback page; for a hand-in with no gradable notebook, what was wrong with it."""
        if status == "ungradable":
            self._put(row, pages.problem_page(row.assignment, moment(row.timestamp), status, detail))
        else:
            self.full.release(row.assignment, row.student)

    def _put(self, row: Row, page: str) -> None:
        submission = self.course.submission_dir(row.student, row.assignment)
        pages.put_page(self.outbound_feedback, submission, self.course.release_notebook(row.assignment).stem, page)

    # -- what it says ----------------------------------------------------------------------------

    def _line(self, text: str) -> None:
        line = f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M:%S} {text}"
        self.last.append(line)
        del self.last[:-LAST]
        self.log.write(line + "\n")
        self.log.flush()
        self.say(line)

    def note_failure(self, text: str) -> None:
        """An unexpected failure of the service itself: into the log and the status."""
        self._note_error(text.splitlines()[0])
        self.log.write(text + "\n")
        self.log.flush()

    def _note_error(self, text: str) -> None:
        if text not in self.errors:
            self.errors.append(text)
            self._line(f"ERROR {text}")

    def _status(self) -> None:
        rows = self.ledger.open_rows()
        running = [{"student": s, "assignment": a, "since": job.started}
                   for (a, s), job in self.graders.running.items()]
        write_status(self.course, {"assignments": list(self.assignments), "in_progress": running,
                                   "workers_ready": self.graders.warm, "policy": self.policy.feedback,
                                   "feedback_limit": self.policy.limit,
                                   "queued": sum(r.state == "waiting" for r in rows) - len(running),
                                   "deferred": sum(r.state == "deferred" for r in rows), "graded": self.graded,
                                   "errors": self.errors, "last": self.last})

    def close(self) -> None:
        self.graders.stop()
        self.ledger.close()
        self.log.close()


def _settling(*paths: Path) -> bool:
    """Some file was changed less than SETTLE seconds ago (by our clock: never by one in the future)."""
    now = time.time()
    for path in paths:
        try:
            if 0 <= now - path.stat().st_mtime < SETTLE:
                return True
        except FileNotFoundError:
            continue
    return False


def _by_student(rows: list[Row]) -> dict[tuple[str, str], list[Row]]:
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: moment(r.timestamp)):
        grouped[(row.assignment, row.student)].append(row)
    return grouped


def _round(service: Service) -> None:
    """One round; a failure of ours is logged and the service goes on (a worker that cannot start stops it)."""
    try:
        service.round()
    except (WorkerCannotStart, SandboxUnavailable, GradebookUnavailable):
        raise
    except Exception as error:  # noqa: BLE001 - the service must outlive one bad round
        service.note_failure(f"a round failed: {type(error).__name__}: {error}\n{traceback.format_exc()}")


def serve(course: Course, names: tuple[str, ...], *, poll: float = 0.5, say: Callable[[str], None] = print,
          **grading) -> None:
    """Run the service until SIGTERM or SIGINT (see the module docstring)."""
    if poll <= 0:
        raise UsageError(f"--poll must be a positive number of seconds, not {poll}")
    if grading.get("jobs") is not None and grading["jobs"] < 1:
        raise UsageError(f"--jobs must be at least 1, not {grading['jobs']}")
    assignments = served_assignments(course, names)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with grading_lock(course, f"mllab serve {' '.join(assignments)}"):
            service = Service(course, assignments, say=say, **grading)
            try:
                say(f"serving {', '.join(assignments)}: grading each hand-in in {service.inbound} as it arrives "
                    f"(status: `mllab serve-status`; stop with Ctrl-C or SIGTERM)")
                while not stop.is_set():
                    _round(service)
                    stop.wait(poll)
            finally:
                service.close()
    except MllabError:
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say("stopped: hand-ins not finished are graded when the service starts again")
