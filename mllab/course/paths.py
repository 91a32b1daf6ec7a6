"""Where things live in a course directory (nbgrader's layout plus the course's own folders)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mllab.course.assignments import assignment as declaration
from mllab.course.assignments import assignment_names
from mllab.errors import UsageError

DB_URL_VARIABLE = "MLLAB_DB_URL"  # another gradebook than gradebook.db (read by nbgrader_config.py too)


def find_course_root(start: Path | None = None) -> Path:
    """Walk up from ``start`` (default: the working directory) to the folder with nbgrader_config.py."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "source").is_dir():
            return folder
    raise UsageError(
        f"no course directory found at or above {here}: run this inside the course "
        "(the folder that holds nbgrader_config.py and source/)"
    )


@dataclass(frozen=True)
class Course:
    """The folders of one course directory."""

    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        """The gradebook's SQLAlchemy URL: $MLLAB_DB_URL, or the SQLite file gradebook.db."""
        return os.environ.get(DB_URL_VARIABLE) or f"sqlite:///{self.gradebook}"

    @property
    def uses_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite:")

    def source_notebook(self, assignment: str) -> Path:
        return self.source / assignment / f"{assignment}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.release / assignment / f"{assignment}.ipynb"

    def submission_dir(self, student: str, assignment: str) -> Path:
        return self.submitted / student / assignment

    def feedback_dir(self, student: str, assignment: str) -> Path:
        return self.feedback / student / assignment


def course_config(course: Course):
    """The course's nbgrader configuration (nbgrader_config.py), as nbgrader itself reads it."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()


def check_assignment(course: Course, assignment: str) -> str:
    """Return ``assignment`` if the course has its source notebook and declares it in course.toml,
    else raise a UsageError."""
    if not course.source_notebook(assignment).is_file():
        known = sorted(p.name for p in course.source.iterdir() if p.is_dir())
        raise UsageError(
            f"unknown assignment {assignment!r}: expected {course.source_notebook(assignment)}; "
            f"the course has: {', '.join(known) or 'none'}"
        )
    declaration(course.root, assignment)
    return assignment


def check_assignments(course: Course, assignments: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The named assignments, each checked; when none is named, every one course.toml declares."""
    return tuple(check_assignment(course, a) for a in assignments or assignment_names(course.root))


COURSE_FILES = ("nbgrader_config.py", "course.toml", "requirements.txt", "source", "release", "data")


def copy_course(root: Path, destination: Path) -> Course:
    """A copy of a course's committed files (no submissions, gradebook or downloads) in ``destination``."""
    import shutil

    destination.mkdir(parents=True, exist_ok=True)
    for name in COURSE_FILES:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("downloaded"))
        else:
            shutil.copy2(source, destination / name)
    return Course(destination)
