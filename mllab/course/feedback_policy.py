"""The grading service's policies, from the ``[serve]`` table of course.toml::

    [serve]
    feedback_before_deadline = "tasks"   # "none", "tasks" (the default) or "full"
    feedback_limit = 5                   # graded feedbacks per student and assignment in the window (0: no limit)
    feedback_window_hours = 24

- ``none``: each hand-in is graded at once but silently; the student gets a receipt, and the feedback
  comes at their deadline.
- ``tasks``: per task ✓/✗, the points and the check's message with the named mistake; never the
  hidden inputs or the hidden test code.
- ``full``: nbgrader's whole feedback page, as after the deadline.

After a student's own deadline (extension included) every hand-in gets the full feedback, and no limit.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from mllab.errors import UsageError

CONFIG_FILE = "course.toml"
KINDS = ("none", "tasks", "full")


@dataclass(frozen=True)
class Policy:
    """What a student sees before their deadline, and how many graded feedbacks per window."""

    feedback: str = "tasks"
    limit: int = 5  # 0: no limit
    window: dt.timedelta = dt.timedelta(hours=24)

    def describe(self) -> str:
        """The policy in words, for the notebook header and the feedback pages."""
        shown = {"none": "but you see its results only after the deadline",
                 "tasks": "and Fetch Feedback then shows per task ✓ or ✗, the points and what went wrong (never the "
                          "hidden inputs or the hidden tests)",
                 "full": "and Fetch Feedback then shows the whole feedback page"}[self.feedback]
        limit = (f" At most {self.limit} graded feedbacks in any {_hours(self.window)}: a hand-in past that is kept, and "
                 "your latest one is graded as soon as the limit allows." if self.limit and self.feedback != "none"
                 else "")
        return (f"Feedback before the deadline: each hand-in is graded when it arrives (usually within a minute), "
                f"{shown}.{limit} At your deadline you get the whole feedback of your last hand-in before it.")


def _hours(window: dt.timedelta) -> str:
    hours = window.total_seconds() / 3600
    return f"{hours:g} hours" if hours != 1 else "hour"


def load_policy(root: Path) -> Policy:
    """The ``[serve]`` table of course.toml (defaults for whatever it leaves out); a wrong value says what to write."""
    path = Path(root) / CONFIG_FILE
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("serve", {})
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    feedback = table.get("feedback_before_deadline", "tasks")
    limit = table.get("feedback_limit", 5)
    hours = table.get("feedback_window_hours", 24)
    if feedback not in KINDS:
        raise UsageError(f"{path} [serve] feedback_before_deadline must be one of {', '.join(KINDS)}, not {feedback!r}")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise UsageError(f"{path} [serve] feedback_limit must be a whole number (0 for no limit), not {limit!r}")
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or hours <= 0:
        raise UsageError(f"{path} [serve] feedback_window_hours must be a positive number, not {hours!r}")
    return Policy(feedback, limit, dt.timedelta(hours=hours))
