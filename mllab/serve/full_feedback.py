"""nbgrader's whole feedback page for one student: ``generate_feedback`` and ``release_feedback``,
run in the service's own process through nbgrader's ``NbGraderAPI`` (no new process per hand-in)."""

from __future__ import annotations

from mllab.course.paths import Course, course_config
from mllab.errors import PipelineError

LOG_TAIL = 20


class FullFeedback:
    """The course's nbgrader API, loaded once for the life of the service."""

    def __init__(self, course: Course) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = course_config(course)
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    def release(self, assignment: str, student: str) -> None:
        """Generate the student's feedback page into feedback/ and release it into the exchange."""
        for name, step in (("generate_feedback", self.api.generate_feedback), ("release_feedback",
                                                                              self.api.release_feedback)):
            result = step(assignment, student_id=student)
            if not result.get("success"):
                log = "\n".join((result.get("log", "") + result.get("error", "")).splitlines()[-LOG_TAIL:])
                raise PipelineError(f"nbgrader {name} for {student} on {assignment} failed:\n{log}")
