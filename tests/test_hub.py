"""Does the course run on a JupyterHub the project starts itself: real Unix users (an instructor and
two students), each user's server started by the hub as that user, with nbgrader's Assignments
extension, the course's exchange shared by all, and the grading service run as the instructor?"""

from __future__ import annotations

import json
import re
import time

import psutil
import pytest

from tests.hub import ASSIGNMENT, COURSE_ID, STUDENTS, TEACHER, Hub, course_hub  # noqa: F401 (a fixture)
from tests.unix_users import needs_root

pytestmark = needs_root


def _started(hub: Hub) -> list[dict]:
    """What the hub started and still runs: pid, user, command line, folder."""
    found = []
    for process in psutil.Process(hub.process.pid).children(recursive=True):
        try:
            found.append(process.as_dict(["pid", "username", "cmdline", "cwd", "uids", "status"]))
        except psutil.Error:
            continue
    return [p for p in found if p["status"] != psutil.STATUS_ZOMBIE]


def _server_processes(hub: Hub, user: str) -> list[dict]:
    return [p for p in _started(hub) if p["username"] == user and
            any("jupyterhub-singleuser" in part for part in p["cmdline"] or [])]


def test_each_users_server_runs_as_that_unix_user(course_hub):
    hub = course_hub["hub"]
    hub.start_servers(*STUDENTS)
    for user in STUDENTS:
        (process,) = _server_processes(hub, user)
        assert process["uids"].real == course_hub["users"][user].pw_uid
        assert process["cwd"] == course_hub["users"][user].pw_dir


def test_a_students_jupyterlab_has_nbgraders_assignments_extension(course_hub):
    hub = course_hub["hub"]
    hub.start_servers(STUDENTS[0])
    status, page = hub.get(f"/user/{STUDENTS[0]}/lab")
    assert status == 200
    config = json.loads(re.search(rb'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert "@jupyter/nbgrader" in {extension["name"] for extension in config["federated_extensions"]}


def test_the_assignments_extension_lists_what_the_instructor_handed_out(course_hub):
    """nbgrader's server extension in the student's server, reading the shared exchange as that student."""
    hub = course_hub["hub"]
    hub.start_servers(STUDENTS[1])
    status, body = hub.get(f"/user/{STUDENTS[1]}/assignments?course_id={COURSE_ID}")
    assert status == 200, body
    listed = json.loads(body)
    assert listed["success"], listed
    assert [(a["assignment_id"], a["status"]) for a in listed["value"]] == [(ASSIGNMENT, "released")]


def test_the_grading_service_runs_as_the_instructor_in_the_course_folder(course_hub):
    hub = course_hub["hub"]
    services = hub.api("GET", "services")
    if "mllab-grader" not in services:
        pytest.skip("`mllab serve` is not in this checkout yet: the hub starts without the grading service")
    deadline = time.monotonic() + 30  # the hub restarts a service that stopped: wait for it to be up
    while not (processes := _service_processes(hub)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes, "\n".join(line for line in hub.log.read_text().splitlines()
                                 if "grader" in line or "serve" in line or "Traceback" in line)[-4000:]
    assert {p["username"] for p in processes} == {TEACHER}
    assert {p["cwd"] for p in processes} == {str(course_hub["course"].root)}


def _service_processes(hub: Hub) -> list[dict]:
    return [p for p in _started(hub) if "serve" in (p["cmdline"] or [])
            and any(part.endswith("mllab") for part in p["cmdline"])]
