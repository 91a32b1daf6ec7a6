"""What graders and TAs read after a run: the class report (class_report collects it, page
renders it, write writes both files), the preprocessors of nbgrader's feedback pages (feedback)
and the export plugin behind `nbgrader export` (grades_export).

May import `mllab.errors`, `mllab.course` and `mllab.autograde` (the last run's statuses). The
page imports the report's data classes; class_report never imports the page.
"""
