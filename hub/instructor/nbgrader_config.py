"""nbgrader's configuration in the instructor's server on the course's hub: the course folder's own.

hub/jupyterhub_config.py puts this folder first on the instructor's JUPYTER_CONFIG_PATH and starts
the instructor's server in the course folder ($MLLAB_COURSE), so that the formgrader works on the
course and the gradebook the grading service writes.
"""

import os

c = get_config()  # noqa: F821 (nbgrader's config loader defines it)

if os.environ.get("MLLAB_COURSE"):
    load_subconfig(os.path.join(os.environ["MLLAB_COURSE"], "nbgrader_config.py"))  # noqa: F821
