"""`mllab autograde`: grade a whole class with nbgrader, in parallel, surviving broken submissions.

May import `mllab.errors`, `mllab.grading`, `mllab.checks` and `mllab.course` (and the root
package, for its folder); never the classes, the report or the commands.
"""
