"""Test support for the browser tests: Debian's Chromium through Playwright, and a Jupyter server.

`make test` installs Chromium (`make browser`) when /usr/bin/chromium is missing; Playwright
cannot download its own browser here. Screenshots go to test-artifacts/ and are kept.
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
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts"
# JupyterLab settings of the test user: every cell in the page (no virtual scrolling, so the test
# can read all outputs), and no news or update checks (there is no internet).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}


def launch(playwright):
    """Headless Debian Chromium."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])


def artifact(name: str) -> Path:
    """A fresh path in test-artifacts/ for a screenshot."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    return path


def assignments_panel(tab, course_id: str):
    """Nbgrader → Assignment List in JupyterLab's main menu: the Assignments panel, once it shows the
    course. A page without the Nbgrader menu fails the test with what it shows (and a screenshot)."""
    import pytest
    from playwright.sync_api import TimeoutError as PageTimeout

    menu = tab.locator("#jp-MainMenu").get_by_text("Nbgrader", exact=True)
    try:
        menu.wait_for()
    except PageTimeout:
        tab.screenshot(path=str(artifact("assignments-panel-timeout.png")))
        pytest.fail(f"no Nbgrader menu in JupyterLab at {tab.url}; the page shows:\n{tab.inner_text('body')[:2000]}")
    menu.click()
    tab.locator(".lm-Menu-content").get_by_text("Assignment List", exact=True).click()
    panel = tab.locator("#nbgrader-assignment-list #assignments")
    panel.locator("#course_list_default").filter(has_text=course_id).wait_for(timeout=60_000)
    return panel


def assignment_row(panel, status: str, assignment: str):
    """The assignment's row in one of the panel's lists: released, fetched or submitted."""
    return panel.locator(f"#{status}_assignments_list > .list_item").filter(has_text=assignment)


@dataclass(frozen=True)
class JupyterServer:
    url: str  # http://127.0.0.1:PORT
    token: str
    log: Path  # the server's stdout and stderr

    def page(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(server: JupyterServer, process: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.page("api/status"), timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{server.log.read_text()[-3000:]}")


def _settings(home: Path) -> Path:
    folder = home / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return folder


@contextmanager
def jupyter_lab(root: Path, home: Path):
    """`jupyter lab` serving ``root`` on loopback (its own config, runtime and settings folders in
    ``home``), as a student or instructor starts it in the course folder."""
    home.mkdir(parents=True, exist_ok=True)
    server = JupyterServer(f"http://127.0.0.1:{_free_port()}", secrets.token_hex(16), home / "jupyter-lab.log")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(_settings(home)),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_CONFIG_DIR": str(home / "config"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={server.url.rsplit(':', 1)[1]}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={server.token}", f"--ServerApp.root_dir={root}",
               *(["--allow-root"] if os.geteuid() == 0 else [])]  # CI runs as root
    with server.log.open("w") as output:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL for the whole process group."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
