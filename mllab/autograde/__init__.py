"""`mllab autograde`: grade a whole class with nbgrader, in parallel, surviving broken submissions."""
