"""The course's own JupyterHub: real Unix users, each user's server with nbgrader's lab extension, the
course's exchange shared by all, and the grading service `mllab serve` run by the hub as the instructor.

Start it as root (LocalProcessSpawner starts each user's server as that user), from the course folder:

    MLLAB_INSTRUCTOR=teacher MLLAB_EXCHANGE=/srv/nbgrader/exchange \\
        .venv/bin/jupyterhub -f hub/jupyterhub_config.py

tests/hub.py starts it the same way on loopback for the tests. Settings, all from the environment:

MLLAB_INSTRUCTOR     the instructor's Unix user: admin of the hub, owner of the course folder, runs the service
MLLAB_COURSE         the course folder (default: the folder above this file)
MLLAB_EXCHANGE       nbgrader's exchange root, shared by every user (default /srv/nbgrader/exchange)
MLLAB_HUB_IP, MLLAB_HUB_PORT                    where the hub listens (default 127.0.0.1:8000)
MLLAB_HUB_API_PORT, MLLAB_HUB_PROXY_API_PORT    its internal ports (default 8081 and 8001, loopback)
MLLAB_HUB_STATE      the hub's database, cookie secret and proxy pid (default <course>/.mllab/hub)
MLLAB_HUB_PROXY      configurable-http-proxy (default: the one scripts/install-proxy.sh puts in .mllab/npm)
MLLAB_HUB_USERS_BIN  the bin/ folder users' servers and the service run from (default: the hub's own
                     environment; scripts/users_venv.py makes one when that is not reachable by users)
MLLAB_HUB_USERS      who may log in, comma-separated (default: every Unix user, through PAM)
MLLAB_HUB_PASSWORD   a shared test password with JupyterHub's DummyAuthenticator instead of PAM (tests only)
MLLAB_HUB_TEST_TOKEN an API token for the tests (a service "mllab-tests" that may start and reach servers)
MLLAB_SERVE_ARGS     arguments of `mllab serve` (default: none, so it serves every handed-out assignment)
"""

import os
import shlex
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)

HUB = Path(__file__).resolve().parent
COURSE = Path(os.environ.get("MLLAB_COURSE") or HUB.parent)
STATE = Path(os.environ.get("MLLAB_HUB_STATE") or COURSE / ".mllab" / "hub")
EXCHANGE = os.environ.get("MLLAB_EXCHANGE", "/srv/nbgrader/exchange")
INSTRUCTOR = os.environ.get("MLLAB_INSTRUCTOR", "")
PROJECT_ENV = Path(sys.prefix)  # the hub's environment: nbgrader's lab extension and its server config are there
USERS_BIN = Path(os.environ.get("MLLAB_HUB_USERS_BIN") or PROJECT_ENV / "bin")
IP = os.environ.get("MLLAB_HUB_IP", "127.0.0.1")
STATE.mkdir(parents=True, exist_ok=True)
STATE.chmod(0o700)

# Where it listens, and its state.
c.JupyterHub.ip = IP
c.JupyterHub.port = int(os.environ.get("MLLAB_HUB_PORT", "8000"))
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('MLLAB_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('MLLAB_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [os.environ.get("MLLAB_HUB_PROXY")
                                   or str(COURSE / ".mllab" / "npm" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every user's server

# Who logs in.
if os.environ.get("MLLAB_HUB_PASSWORD"):
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["MLLAB_HUB_PASSWORD"]
else:
    c.JupyterHub.authenticator_class = "pam"
if os.environ.get("MLLAB_HUB_USERS"):
    c.Authenticator.allowed_users = set(os.environ["MLLAB_HUB_USERS"].split(","))
else:
    c.Authenticator.allow_all = True
if INSTRUCTOR:
    c.Authenticator.admin_users = {INSTRUCTOR}

# Each user's server: their own Unix user, JupyterLab with nbgrader's extensions, the course's exchange.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(USERS_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
USERS_ENVIRONMENT = {
    "PATH": f"{USERS_BIN}:/usr/local/bin:/usr/bin:/bin",
    # hub/nbgrader_config.py (the exchange, the course id, private hand-ins), then the project
    # environment's Jupyter configuration and data (nbgrader's server and lab extensions).
    "JUPYTER_CONFIG_PATH": f"{HUB}:{PROJECT_ENV / 'etc' / 'jupyter'}",
    "JUPYTER_PATH": str(PROJECT_ENV / "share" / "jupyter"),
    "MLLAB_EXCHANGE": EXCHANGE,
}
c.Spawner.environment = USERS_ENVIRONMENT


def _instructor_in_the_course(spawner):
    """The instructor's server starts in the course folder with the course's nbgrader configuration
    (hub/instructor/nbgrader_config.py): the formgrader and the gradebook are the course's."""
    if spawner.user.name == INSTRUCTOR:
        spawner.notebook_dir = str(COURSE)
        spawner.environment = {**USERS_ENVIRONMENT, "MLLAB_COURSE": str(COURSE),
                               "JUPYTER_CONFIG_PATH": f"{HUB / 'instructor'}:{USERS_ENVIRONMENT['JUPYTER_CONFIG_PATH']}"}


c.Spawner.pre_spawn_hook = _instructor_in_the_course

# The grading service, run by the hub as the instructor (a managed service's "user": the hub becomes
# that Unix user before it starts the command), in the course folder, restarted by the hub if it exits.
c.JupyterHub.services = []
if INSTRUCTOR:
    c.JupyterHub.services.append({
        "name": "mllab-grader",
        "command": [str(USERS_BIN / "mllab"), "serve", *shlex.split(os.environ.get("MLLAB_SERVE_ARGS", ""))],
        "user": INSTRUCTOR,
        "cwd": str(COURSE),
        "environment": {"PATH": USERS_ENVIRONMENT["PATH"], "MLLAB_EXCHANGE": EXCHANGE},
    })

# A token for the tests: start users' servers and reach them through the hub.
if os.environ.get("MLLAB_HUB_TEST_TOKEN"):
    c.JupyterHub.services.append({"name": "mllab-tests", "api_token": os.environ["MLLAB_HUB_TEST_TOKEN"]})
    c.JupyterHub.load_roles = [{"name": "mllab-tests", "services": ["mllab-tests"],
                                "scopes": ["admin:users", "admin:servers", "access:servers", "list:users",
                                           "read:users", "read:servers", "list:services", "read:services", "access:services"]}]
