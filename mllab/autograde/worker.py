"""One grading worker: nbgrader's Autograde converter, in-process, on a private copy of the course.

Run as ``python -m mllab.autograde.worker SETTINGS_JSON``. The worker copies what nbgrader needs
(config, gradebook, source, data) into its own workspace once, starts a zygote of warm kernels,
then reads one student id per line on stdin. For each it takes in the submission (a repaired copy
when needed), runs nbgrader's own Autograde with its Execute swapped for :class:`GuardedExecute`,
stages the autograded folder for the single recording pass, and answers with one JSON line.
Nothing it does touches the course's gradebook or the student's original files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import mllab
from mllab.autograde import sandbox, warm_kernel
from mllab.autograde.disk_guard import DiskGuard
from mllab.autograde.execute import LEFTOVERS, GuardedExecute, stop_running_kernels
from mllab.autograde.intake import prepare_submission
from mllab.autograde.sandbox import Sandbox
from mllab.autograde.seeds import check_seed, course_secret
from mllab.autograde.state import Outcome, fingerprint
from mllab.autograde.timing import SPENT, measure
from mllab.autograde.verdict import judge
from mllab.autograde.zygote import die_with_parent, exit_now, preload
from mllab.checks.salt import SEED_VARIABLE
from mllab.errors import MllabError, PipelineError
from mllab.course.assignments import assignment as declaration
from mllab.course.paths import Course


def checks_module(settings: Settings) -> str:
    """The module of the assignment's hidden checks, as its table in course.toml names it."""
    return declaration(Path(settings.course), settings.assignment).checks


def judge_modules(settings: Settings) -> tuple[str, ...]:
    """What the judge's re-run of this assignment's hidden checks imports (torchmetrics alone takes
    seconds), not what the kernels need: the zygote preloads those."""
    return "numpy", "torch", "torchmetrics", checks_module(settings)


@dataclass(frozen=True)
class Settings:
    """What the parent tells each worker."""

    course: str
    assignment: str
    workspace: str
    staging: str
    gradebook: str  # the SQLite snapshot of the assignment definitions (see snapshot.py)
    wall_limit: float
    memory_bytes: int | None = None
    cell_timeout: int | None = None
    threads: int | None = None
    sandboxed: bool = True
    slot: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def build_workspace(course: Course, assignment: str, workspace: Path, gradebook: Path) -> Course:
    """A private course folder: config, a copy of the gradebook snapshot, the source and the data."""
    workspace.mkdir(parents=True, exist_ok=True)
    shutil.copy2(course.root / "nbgrader_config.py", workspace / "nbgrader_config.py")
    shutil.copy2(gradebook, workspace / "gradebook.db")
    shutil.copytree(course.source / assignment, workspace / "source" / assignment, dirs_exist_ok=True)
    if course.data.is_dir():
        shutil.copytree(course.data, workspace / "data", dirs_exist_ok=True)  # found by walking up
    return Course(workspace)


def nbgrader_config(workspace: Course, settings: Settings):
    """The course's nbgrader config, with Execute replaced by GuardedExecute."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from mllab.course.paths import course_config

    config = course_config(workspace)
    chain = config.Autograde.get("autograde_preprocessors") or Autograde.autograde_preprocessors.default()
    config.Autograde.autograde_preprocessors = [GuardedExecute if p is Execute else p for p in chain]
    config.CourseDirectory.db_url = f"sqlite:///{workspace.gradebook}"  # never the course's own database
    if settings.cell_timeout:
        config.Execute.timeout = settings.cell_timeout
    return config


class Worker:
    """Grades one student at a time for the parent process."""

    def __init__(self, settings: Settings) -> None:
        from nbgrader.apps import NbGraderAPI

        self.settings = settings
        self.course = Course(Path(settings.course))
        self.secret = course_secret(self.course)
        self.workspace = build_workspace(self.course, settings.assignment, Path(settings.workspace),
                                         Path(settings.gradebook))
        os.chdir(self.workspace.root)
        self.api = NbGraderAPI(config=nbgrader_config(self.workspace, settings))

    def _clear(self, student: str) -> None:
        for folder in (self.workspace.submitted / student, self.workspace.autograded / student):
            shutil.rmtree(folder, ignore_errors=True)

    def _stage(self, student: str, notebook: str) -> None:
        """Copy the autograded notebook, the files handed in and the source's other files for the coordinator.

        Nothing the kernel created is copied (it could be huge), and never a link or special file.
        """
        a = self.settings.assignment
        handed_in, source = self.workspace.submission_dir(student, a), self.workspace.source / a
        names = {p.relative_to(handed_in) for p in handed_in.rglob("*") if p.is_file()} | {Path(notebook)}
        names |= {p.relative_to(source) for p in source.rglob("*") if p.is_file() and p.suffix != ".ipynb"}
        autograded, staged = self.workspace.autograded / student / a, Path(self.settings.staging) / student / a
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        for name in sorted(names):
            source = autograded / name
            if source.is_file() and not source.is_symlink():
                (staged / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, staged / name)

    def _end_student(self) -> int:
        """Kill what the student left running, then empty every folder its kernel could write."""
        strays = warm_kernel.ZYGOTE.tidy() if warm_kernel.ZYGOTE else 0
        for folder in (self.workspace.submitted, self.workspace.autograded):
            sandbox.empty(folder)
        if warm_kernel.ZYGOTE and warm_kernel.ZYGOTE.sandbox:
            warm_kernel.ZYGOTE.sandbox.wipe_scratch()
        return strays

    def grade(self, student: str) -> Outcome:
        """Take in, autograde and stage one student; never raises for a bad submission."""
        SPENT.clear()
        try:
            outcome = self._grade(student)
        finally:
            with measure("cleanup"):
                self._end_student()
        return replace(outcome, timings={part: round(seconds, 3) for part, seconds in SPENT.items()})

    def _grade(self, student: str) -> Outcome:
        a = self.settings.assignment
        self._clear(student)
        with measure("copy"):
            intake = prepare_submission(self.course.submission_dir(student, a),
                                        self.workspace.submission_dir(student, a), self.course.release_notebook(a))
        if intake.notebook is None:
            return Outcome(student, "ungradable", detail=intake.problem or "no notebook")
        seed = check_seed(self.secret, student, fingerprint(self.course.submission_dir(student, a)))
        os.environ[SEED_VARIABLE] = str(seed)  # the kernel inherits it; the judge reads it here
        with measure("autograde"):
            result = self._autograde(student)
        strays = LEFTOVERS.pop("count", 0) + (warm_kernel.ZYGOTE.tidy() if warm_kernel.ZYGOTE else 0)
        autograded = self.workspace.autograded / student / a / intake.notebook.name
        if not result.get("success") or not autograded.is_file():
            return Outcome(student, "error", detail=_nbgrader_error(result))
        with measure("copy"):
            self._stage(student, intake.notebook.name)
        status, detail = judge(autograded, intake)
        if strays:
            detail = "; ".join(filter(None, [detail, f"{strays} leftover process(es) killed after grading"]))
        return Outcome(student, status, detail=detail)

    def _autograde(self, student: str) -> dict:
        reason = f"grading stopped at the wall-clock limit of {self.settings.wall_limit:.0f} s per submission"
        guard = threading.Timer(self.settings.wall_limit, stop_running_kernels, args=(reason,))
        disk = DiskGuard([self.workspace.autograded, *self._scratch()], stop_running_kernels)
        guard.start()
        disk.start()
        try:
            return self.api.autograde(self.settings.assignment, student, force=True, create=True)
        finally:
            guard.cancel()
            disk.close()

    @staticmethod
    def _scratch() -> list[Path]:
        box = warm_kernel.ZYGOTE.sandbox if warm_kernel.ZYGOTE else None
        return [box.scratch, box.ipc] if box else []


EXCEPTION_LINE = re.compile(r"^\s*([\w.]*(?:Error|Exception|Exit)\w*): (.+)$")


def _nbgrader_error(result: dict) -> str:
    """The root cause in nbgrader's log (its first exception line), not its generic last words."""
    text = "\n".join(filter(None, [result.get("log", ""), result.get("error", "")]))
    print(text, file=sys.stderr)  # the whole story goes to the worker's log
    for line in text.splitlines():
        found = EXCEPTION_LINE.match(line)
        if found and "Please see the" not in line:
            return f"nbgrader failed: {found.group(1).rsplit('.', 1)[-1]}: {found.group(2)}"[:300]
    errors = [line.strip() for line in text.splitlines() if "ERROR" in line]
    return (errors[0] if errors else "nbgrader failed without a message")[:300]


def probe_kernel(workspace: Course, checks: str) -> str | None:
    """Start one kernel as students' kernels start and import the checks; the error, or None."""
    import nbformat
    from nbclient import NotebookClient

    folder = workspace.autograded / ".probe"
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"import {checks}")])
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       kernel_manager_class=warm_kernel.WarmKernelManager,
                       resources={"metadata": {"path": str(folder)}}).execute()
    except Exception as error:  # noqa: BLE001 - whatever stops the kernel is the reason to report
        return f"the kernel did not start: {type(error).__name__}: {error}"
    errors = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    return f"`import {checks}` failed: {errors[0].ename}: {errors[0].evalue}" if errors else None


def _zygote_log(settings: Settings):
    """The zygote's (and its kernels') output: a file beside the worker's log."""
    folder = Path(settings.course) / ".mllab" / "logs" / settings.assignment
    folder.mkdir(parents=True, exist_ok=True)
    return open(folder / f"zygote-{settings.slot}.log", "a", encoding="utf-8")


def start(settings: Settings) -> Worker:
    """The worker, its sandbox and zygote, proven able to run a kernel that imports the checks."""
    worker = Worker(settings)
    box = Sandbox.for_worker(worker.workspace.root, settings.slot) if settings.sandboxed else None
    if box is not None:
        try:
            sandbox.probe(box)
        except MllabError:
            box.remove()
            raise
    warm = threading.Thread(target=preload, args=(judge_modules(settings),), daemon=True)
    warm.start()  # the judge's imports, here, while the zygote imports the same in the sandbox
    try:
        warm_kernel.ZYGOTE = warm_kernel.Zygote(memory_bytes=settings.memory_bytes, sandbox=box,
                                                cpu_seconds=2 * settings.wall_limit, log=_zygote_log(settings))
        problem = probe_kernel(worker.workspace, checks_module(settings))
    except PipelineError as error:
        problem = str(error)
    worker._end_student()
    warm.join()
    if problem:
        where = "in its sandbox " if box is not None else ""
        raise MllabError(f"a grading worker could not run a Python kernel {where}that imports the course's checks: "
                         f"{problem}. The kernel imports mllab from {Path(mllab.__file__).parent} (the copy the "
                         "worker uses); check that this package is installed and importable (`make venv`, or "
                         "`pip install -e .` in the course folder) and that the sandbox can read it.")
    return worker


def set_thread_limits(settings: Settings) -> None:
    """The threads torch, OpenBLAS and OpenCV may use here, in the zygote and in its kernels."""
    if settings.threads:
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(settings.threads)


def serve(settings: Settings, parent: int) -> None:
    """Answer one JSON outcome per student id read from stdin (stdout carries nothing else)."""
    die_with_parent(parent)
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # any stray print goes to the log, never into the replies
    set_thread_limits(settings)
    try:
        worker = start(settings)
    except MllabError as error:
        print(error, file=sys.stderr)
        replies.write(json.dumps({"ready": False, "error": str(error)}) + "\n")
        stop_zygote()
        return
    try:
        replies.write(json.dumps({"ready": True}) + "\n")
        for line in sys.stdin:
            student = line.strip()
            begin = time.perf_counter()
            outcome = worker.grade(student)
            seconds = round(time.perf_counter() - begin, 2)
            replies.write(json.dumps({**asdict(outcome), "seconds": seconds}) + "\n")
    finally:
        stop_zygote()


def stop_zygote() -> None:
    if warm_kernel.ZYGOTE is not None:
        box = warm_kernel.ZYGOTE.sandbox
        warm_kernel.ZYGOTE.close()
        if box is not None:
            box.remove()


if __name__ == "__main__":
    serve(Settings(**json.loads(sys.argv[1])), int(sys.argv[2]))
    exit_now()
