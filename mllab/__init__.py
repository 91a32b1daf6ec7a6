"""The Loss and Metric lab course: data, grading helpers, the nbgrader pipeline and the CLI.

Its subpackages, lowest layer first: grading and checks (run inside students' kernels), data,
course, autograde and classes, report; `errors` sits below them all, and the `demo` and `cli`
modules above. A module imports only its own subpackage and lower layers, with no cycle;
tests/test_package_layout.py holds the order and checks it.
"""
