"""What graders and TAs read after a run: the class report (class_report collects it and writes
its files, page renders it) and the preprocessors of nbgrader's feedback pages (feedback).

Imports `mllab.errors`, `mllab.course` and `mllab.autograde` (the last run's statuses) from the
rest of the package.
"""
