"""Hidden tests of each assignment: one function per grade cell, called from the cell.

May import only `mllab.grading`: the notebooks' hidden tests import it in students' kernels.
"""
