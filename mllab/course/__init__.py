"""The course directory and nbgrader's work on it: where things live (paths), course.toml
(config), the notebooks' generated cells and README blocks (notebook_setup), nbgrader's apps
(nbgrader_steps) and the scores read back from its gradebook (scores).

May import `mllab.errors` and `mllab.data`.
"""
