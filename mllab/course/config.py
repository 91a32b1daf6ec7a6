"""The course's web address (``course.toml``), and every URL made from it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from mllab.errors import UsageError

CONFIG_FILE = "course.toml"
COLAB = "https://colab.research.google.com/github"
RAW = "https://raw.githubusercontent.com"
_GITHUB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")
# The repository course.toml names as the project ships it: a placeholder, not a real repository. While
# it is in place, the generated Colab links and clone command say what an instructor must set first.
PLACEHOLDER_GITHUB = "mllab-course/loss-and-metric"
SET_REPOSITORY = ("set `[repository]` in the course's course.toml to the course's own GitHub repository, then "
                  "run `mllab release` for each assignment")


@dataclass(frozen=True)
class CourseWeb:
    """The course repository on GitHub: ``github`` is owner/name, ``branch`` the published branch."""

    github: str
    branch: str

    @property
    def data_url(self) -> str:
        """The raw files of data/, where the setup cell downloads from by default."""
        return f"{RAW}/{self.github}/{self.branch}/data"

    @property
    def is_placeholder(self) -> bool:
        """True while course.toml still names the shipped placeholder instead of the course's repository."""
        return self.github == PLACEHOLDER_GITHUB

    @property
    def clone_url(self) -> str:
        return f"https://github.com/{self.github}.git"

    def colab_url(self, assignment: str) -> str:
        """Colab opening the release notebook of ``assignment`` straight from GitHub."""
        return f"{COLAB}/{self.github}/blob/{self.branch}/release/{assignment}/{assignment}.ipynb"


def load_course_web(root: Path) -> CourseWeb:
    """Read ``course.toml`` in the course folder ``root``; a missing or wrong file says what to fix."""
    path = Path(root) / CONFIG_FILE
    try:
        repository = tomllib.loads(path.read_text(encoding="utf-8"))["repository"]
        github, branch = repository["github"], repository["branch"]
    except FileNotFoundError:
        raise UsageError(f"{path} is missing: it names the course's GitHub repository "
                         "([repository] github = \"owner/name\", branch = \"main\")") from None
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise UsageError(f"{path} needs a [repository] table with `github` (owner/name) and `branch`: "
                         f"{type(error).__name__}: {error}") from None
    if not (isinstance(github, str) and _GITHUB_NAME.fullmatch(github)) or not (isinstance(branch, str) and branch):
        raise UsageError(f"{path}: github must be \"owner/name\" and branch a branch name, "
                         f"not {github!r} and {branch!r}")
    return CourseWeb(github, branch)
