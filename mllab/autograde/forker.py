"""One warm process per run that forks the local pool's workers: their imports are paid once, not per worker.

Run as ``python -m mllab.autograde.forker SETTINGS_JSON PARENT_PID SOCKET_FD``. It sets the thread
limits, imports what a worker needs (nbgrader, nbclient, and the judge's torch, torchmetrics and
the assignment's checks: about five seconds of CPU), then waits on a Unix socket. Each request is
one worker's settings with three file descriptors (its stdin, its stdout and its log); the forker
forks a child that takes them as fds 0, 1 and 2, starts its own session and becomes that worker
(:func:`mllab.autograde.worker.serve`), and answers with the child's pid. It exits when the
socket closes, and dies with the coordinator; its workers die with it (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sys

from mllab.autograde.worker import Settings, judge_modules, serve, set_thread_limits
from mllab.autograde.zygote import die_with_parent, exit_now, fork_child, preload

WORKER_MODULES = ("nbgrader.apps", "nbgrader.converters", "nbgrader.preprocessors", "nbclient", "jupyter_client")
MESSAGE_BYTES = 65536  # one request: a worker's settings as JSON


def _become_worker(settings: Settings, fds: list[int], channel: socket.socket, forker: int) -> None:
    """In the child: fds 0, 1, 2 from the request, a session of its own, then the worker's loop."""
    channel.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.setsid()  # its own process group: the coordinator kills the worker and its zygote together
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    random.seed()
    serve(settings, forker)


def _fork(settings: Settings, fds: list[int], channel: socket.socket) -> int:
    forker = os.getpid()
    pid = fork_child(lambda: _become_worker(settings, fds, channel, forker))
    for fd in fds:
        os.close(fd)
    return pid


def serve_requests(channel: socket.socket) -> None:
    """Fork one worker per request until the coordinator closes the socket."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically: no zombies
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    while True:
        message, fds, _, _ = socket.recv_fds(channel, MESSAGE_BYTES, 3)
        if not message:
            return
        settings = Settings(**json.loads(message))
        channel.send(json.dumps({"pid": _fork(settings, fds, channel)}).encode())


def main(settings: Settings, parent: int, fd: int) -> None:
    die_with_parent(parent)
    set_thread_limits(settings)  # before torch is imported: its thread pools read them once
    preload(WORKER_MODULES + judge_modules(settings))
    serve_requests(socket.socket(fileno=fd))


if __name__ == "__main__":
    main(Settings(**json.loads(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]))
    exit_now()
