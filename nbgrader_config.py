"""The course's one nbgrader configuration (nbgrader's own option names)."""

from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

COURSE_ROOT = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "loss_and_metric_lab"
c.CourseDirectory.root = str(COURSE_ROOT)

# The gradebook: SQLite in gradebook.db, or the database $MLLAB_DB_URL names (e.g. PostgreSQL,
# "postgresql+psycopg://user@host:5432/gradebook") when several graders work at once.
import os  # noqa: E402

if os.environ.get("MLLAB_DB_URL"):
    c.CourseDirectory.db_url = os.environ["MLLAB_DB_URL"]

# The exchange students fetch from and submit to (`nbgrader release_assignment`, `collect`,
# `release_feedback`): $MLLAB_EXCHANGE, or .mllab/exchange in the course. On a JupyterHub, set the
# same folder in the students' system-wide nbgrader_config.py.
c.Exchange.root = os.environ.get("MLLAB_EXCHANGE") or str(COURSE_ROOT / ".mllab" / "exchange")

# Late work: each assignment's deadline is `due` in its table of course.toml, extensions in extensions.csv.
# The rule: 10 % of the score per started day late, nothing after 7 days.
from mllab.course.late_penalty import PercentPerStartedDay  # noqa: E402

c.AssignLatePenalties.plugin_class = PercentPerStartedDay
c.PercentPerStartedDay.percent_per_day = 10.0
c.PercentPerStartedDay.accept_days = 7

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A torch + torchmetrics cell needs more than nbgrader's default 30 s on a slow laptop CPU.
c.ExecutePreprocessor.timeout = 120

# A student who deletes a test cell gets it back (otherwise its points silently vanish).
c.OverwriteCells.add_missing_cells = True

# Any stderr output zeroes a grade cell; a Python warning from correct code must not.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "

# nbgrader's autograde steps, plus the judge and a cap on output size: its LimitOutput counts lines, so a
# single 50 MB line would otherwise reach the autograded notebook and the feedback page.
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, Execute, IgnorePattern, LimitOutput, SaveAutoGrades)

from mllab.autograde.judge import JudgeTestCells  # noqa: E402
from mllab.autograde.limit_output import LimitOutputSize  # noqa: E402

# JudgeTestCells decides every hidden check again outside the student's kernel, from the answers
# the kernel recorded, so patched libraries or grading helpers in a notebook earn nothing.
c.Autograde.autograde_preprocessors = [Execute, IgnorePattern, ClearMetadataPreprocessor, JudgeTestCells,
                                       LimitOutput, LimitOutputSize, SaveAutoGrades, AssignLatePenalties,
                                       CheckCellMetadata]

# Tamper evidence: the autograded notebook records which locked or test cells OverwriteCells put
# back (edited, deleted) and which test cells were moved (nb.metadata["mllab"]["restored_cells"]).
from nbgrader.preprocessors import (  # noqa: E402
    CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells, OverwriteKernelspec)

from mllab.autograde.restored import NoteSubmittedCells, RecordRestoredCells  # noqa: E402

c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, NoteSubmittedCells,
                                      OverwriteCells, RecordRestoredCells, CheckCellMetadata]
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {("language_info", "name"), ("mllab",)}

# Feedback pages: a per-task summary on top. To reuse the assignment, set HideHiddenTests.enabled
# to True: the hidden tests' source and grading tracebacks disappear, their messages stay.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

from mllab.report.feedback import HideHiddenTests, TaskSummary  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, TaskSummary, HideHiddenTests, CSSHTMLHeaderPreprocessor]
c.HideHiddenTests.enabled = False

# Grades CSV: nbgrader's columns, but a student with no grade (nothing handed in, or grading failed
# inside the grader) gets empty score cells instead of 0.0.
from mllab.report.grades_export import GradesExport  # noqa: E402

c.ExportApp.plugin_class = GradesExport
