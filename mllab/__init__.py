"""The Loss and Metric lab course: data, grading helpers, the nbgrader pipeline and the CLI."""
