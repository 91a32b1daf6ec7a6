"""`mllab check-tests NAME`: evidence, before release, that an assignment's hidden tests are good.

In a scratch copy of the course it releases the assignment, hands in a class made for the purpose
(:mod:`.build`: the instructor's solution under many seeds, each correct alternative and each named
mistake of the assignment's corpus, see ``mllab.classes.corpus``), grades it with the real
autograder, and decides per task (:mod:`.analysis`): the solution earns full marks on every seed,
the alternatives earn full marks, each mistake loses points in its own cells with its own message
and nowhere else. In this process it runs the notebook with the instructor's solutions
(:mod:`.notebook_run`) to check that every call a hidden check makes keeps the function's contract,
that every stated convention is exercised, and that the visible check fails for each task's most
common mistake. :mod:`.run` ties it together and :mod:`.table` prints one table per task.

The steps are apart (build, grade, collect, analyse) so that the test suite can judge the class
runs it already grades instead of grading the corpora twice.
"""
