"""nbgrader's configuration for every user's server on the course's hub (students and the instructor).

Put it where every user's Jupyter server reads it: on a hub of your own, in /etc/jupyter/
(`jupyter --paths` lists the places); the project's own hub (hub/jupyterhub_config.py) puts this
folder on JUPYTER_CONFIG_PATH. The instructor's course folder has its own nbgrader_config.py, which
wins for the instructor's commands run there.
"""

import os

c = get_config()  # noqa: F821 (nbgrader's config loader defines it)

# The course and its exchange: the same folder for every user, set up by `mllab hand-out`.
c.CourseDirectory.course_id = os.environ.get("MLLAB_COURSE_ID", "loss_and_metric_lab")
c.Exchange.root = os.environ.get("MLLAB_EXCHANGE", "/srv/nbgrader/exchange")
# Hand-ins that only their maker and the grading account can open (nbgrader's own leaves them
# writable by all): see mllab/course/private_submit.py.
c.ExchangeFactory.submit = "mllab.course.private_submit.PrivateExchangeSubmit"
