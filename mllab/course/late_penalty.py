"""The course's late-submission rule, as an nbgrader LateSubmissionPlugin.

Set in nbgrader_config.py (``c.AssignLatePenalties.plugin_class``); nbgrader calls it with the
student's score and how many seconds after their deadline (extension included) they submitted.
"""

from __future__ import annotations

import math
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float, Int

DAY = 24 * 60 * 60


def started_days(seconds_late: float) -> int:
    """Every started day counts: one second late is one day late."""
    return math.ceil(seconds_late / DAY) if seconds_late > 0 else 0


class PercentPerStartedDay(LateSubmissionPlugin):
    """``percent_per_day`` of the score per started day late; after ``accept_days`` days, no points."""

    percent_per_day = Float(10.0, help="Share of the score taken per started day late, in percent.").tag(config=True)
    accept_days = Int(7, help="After this many days late a submission earns nothing.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds: float) -> float:
        days = started_days(total_seconds)
        if days > self.accept_days:
            return score
        return min(score, score * self.percent_per_day / 100 * days)

    def rule(self) -> str:
        """The rule in words, for the students' notebook header."""
        return (f"it loses {self.percent_per_day:g} % of its score per started day late, and earns nothing after "
                f"{self.accept_days} days")


def late_rule(root: Path) -> str:
    """The late rule the course's nbgrader_config.py sets, in words."""
    from mllab.course.paths import Course, course_config

    config = course_config(Course(root))
    plugin = config.AssignLatePenalties.get("plugin_class")
    if isinstance(plugin, type) and issubclass(plugin, PercentPerStartedDay):
        return plugin(config=config).rule()
    return "the course's late rule applies (ask your instructor)"
