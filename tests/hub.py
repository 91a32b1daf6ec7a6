"""The course's JupyterHub (hub/jupyterhub_config.py) on loopback, for the tests: started as root with
real Unix users, stopped with everything it started.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

import pytest

from mllab.course.exchange import EXCHANGE_VARIABLE
from tests.conftest import copy_course
from tests.unix_users import REPO, run_as, shared_folder, unix_users, users_bin

ASSIGNMENT = "loss_and_metric"
COURSE_ID = "loss_and_metric_lab"
TEACHER, STUDENTS = "mlh_teach", ["mlh_s1", "mlh_s2"]


def free_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def install_proxy() -> str:
    """configurable-http-proxy from npm into .mllab/npm (scripts/install-proxy.sh), its path."""
    done = subprocess.run(["bash", str(REPO / "scripts" / "install-proxy.sh")], capture_output=True, text=True,
                          timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/install-proxy.sh failed:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Hub:
    url: str  # http://127.0.0.1:PORT
    token: str  # the tests' service token
    password: str  # every user's password (DummyAuthenticator)
    process: subprocess.Popen
    log: Path

    def api(self, method: str, path: str, body: dict | None = None) -> dict | None:
        """The hub's REST API (/hub/api/...) with the tests' token."""
        request = urllib.request.Request(f"{self.url}/hub/api/{path.lstrip('/')}", method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else None

    def get(self, path: str, *, timeout: float = 60) -> tuple[int, bytes]:
        """A page or API of the hub or of a user's server (/user/NAME/...), with the tests' token."""
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}", headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post(self, path: str, body: dict, *, method: str = "POST", timeout: float = 300) -> tuple[int, bytes]:
        """A POST (or PUT) with a JSON body to the hub or a user's server, with the tests' token."""
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}", method=method, data=json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}",
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def start_servers(self, *users: str, timeout: float = 120) -> None:
        """Start the users' servers (each as that Unix user, side by side) and wait until they are ready."""
        for user in users:
            try:
                self.api("POST", f"users/{user}/server")
            except urllib.error.HTTPError as error:
                if error.code != 400:  # 400: already running
                    raise
        deadline = time.monotonic() + timeout
        waiting = set(users)
        while waiting and time.monotonic() < deadline:
            waiting = {u for u in waiting if not self.api("GET", f"users/{u}").get("servers", {}).get("", {}).get("ready")}
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub stopped:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.5 if waiting else 0)
        if waiting:
            raise RuntimeError(f"the servers of {sorted(waiting)} did not start in {timeout} s:\n"
                               f"{self.log.read_text()[-3000:]}")


def start_hub(*, course: Path, exchange: Path, instructor: str, users: list[str], users_bin: Path,
              state: Path, serve_args: str = "") -> Hub:
    """The hub as root on a free loopback port, in the instructor's course folder."""
    public, api, proxy_api = free_ports(3)
    token, password = secrets.token_hex(16), secrets.token_hex(8)
    env = {**os.environ, "MLLAB_INSTRUCTOR": instructor, "MLLAB_COURSE": str(course), "MLLAB_EXCHANGE": str(exchange),
           "MLLAB_HUB_PORT": str(public), "MLLAB_HUB_API_PORT": str(api), "MLLAB_HUB_PROXY_API_PORT": str(proxy_api),
           "MLLAB_HUB_STATE": str(state), "MLLAB_HUB_PROXY": install_proxy(), "MLLAB_HUB_USERS_BIN": str(users_bin),
           "MLLAB_HUB_USERS": ",".join(users), "MLLAB_HUB_PASSWORD": password, "MLLAB_HUB_TEST_TOKEN": token,
           "MLLAB_SERVE_ARGS": serve_args, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    state.mkdir(parents=True, exist_ok=True)
    log = state / "hub.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f",
                                    str(REPO / "hub" / "jupyterhub_config.py")], cwd=state, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(f"http://127.0.0.1:{public}", token, password, process, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the hub did not start:\n{log.read_text()[-3000:]}")
        try:
            hub.api("GET", "")
            return hub
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_hub(hub)
    raise RuntimeError(f"the hub did not answer in 90 s:\n{log.read_text()[-3000:]}")


def stop_hub(hub: Hub) -> list[int]:
    """SIGTERM to the hub (it stops the users' servers, the service and the proxy), then kill whatever
    it started that is still there; return the pids that had to be killed."""
    try:
        started = psutil.Process(hub.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    hub.process.send_signal(signal.SIGTERM)
    try:
        hub.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        hub.process.kill()
        hub.process.wait()
    _, alive = psutil.wait_procs(started, timeout=10)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    return [p.pid for p in alive]


@pytest.fixture(scope="session")
def course_hub():
    """The instructor's course (assignment handed out) and the hub, on loopback; all removed at the end."""
    with shared_folder("mllab-hub-") as base, unix_users([TEACHER, *STUDENTS], base / "home") as users:
        course = copy_course(base / "course")
        srv = base / "srv"
        srv.mkdir()
        for path in (course.root, srv):
            subprocess.run(["chown", "-R", f"{TEACHER}:{TEACHER}", str(path)], check=True)
        course.root.chmod(0o700)
        exchange = srv / "exchange"
        handed = run_as(TEACHER, [str(users_bin() / "mllab"), "hand-out", ASSIGNMENT], cwd=course.root,
                        env={EXCHANGE_VARIABLE: str(exchange)})
        assert handed.returncode == 0, handed.stderr
        hub = start_hub(course=course.root, exchange=exchange, instructor=TEACHER, users=[TEACHER, *STUDENTS],
                        users_bin=users_bin(), state=base / "hub-state", serve_args="--jobs 1")
        try:
            yield {"hub": hub, "course": course, "exchange": exchange, "users": users, "base": base}
        finally:
            stop_hub(hub)
