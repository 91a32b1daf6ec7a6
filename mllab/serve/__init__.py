"""`mllab serve`: the grading service that grades every hand-in as it arrives and returns its feedback.

Its policies (what students see before the deadline, and how often) are course settings:
:mod:`mllab.course.feedback_policy`.

- :mod:`.inbox`: the hand-ins in nbgrader's exchange, and collecting one of them;
- :mod:`.ledger`: every hand-in the service saw and what became of it (SQLite, survives SIGKILL);
- :mod:`.graders`: warm workers per assignment (the local pool or Dask) and the one recorder;
- :mod:`.pages`: the feedback pages the policies promise, and putting them where students fetch them;
- :mod:`.status`: what the service is doing, for `mllab serve-status`;
- :mod:`.service`: the loop that ties them together.
"""
