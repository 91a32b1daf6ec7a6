"""Sphinx configuration of the course's documentation site (`make docs`)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "_ext"), str(HERE.parent)]

project = "Loss and Metric"
author = "the course's instructors"
extensions = ["myst_parser", "mllab_reference"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"description": "a graded PyTorch lab with its own autograder", "page_width": "1100px"}
html_title = "Loss and Metric"
html_show_copyright = False
