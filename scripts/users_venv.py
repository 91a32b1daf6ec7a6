"""A Python environment every Unix user of the course's hub can run, with the project venv's packages.

The hub starts each user's server as that user, and the instructor's grading service runs as the
instructor: they all need the course's packages. The project's `.venv` holds them, but its
interpreter may live where other users cannot reach it (a pyenv Python under /root, say). Then this
script makes a small environment beside it instead: a venv of a reachable interpreter of the same
minor version (/usr/bin/python3.11 on Debian 12) whose site-packages are hard links to the project
venv's files (no copy: about a second, no space; the grading sandbox binds the environment's own
folder, so the packages must be inside it), and copies of the venv's console scripts (nbgrader,
jupyterhub-singleuser, mllab, alembic, ...) that run with it. On another file system, where hard links
cannot go, it loads the project venv's site-packages by a .pth file instead (users' servers work;
the grading sandbox then does not see the packages). Nothing is installed twice or downloaded.

    python scripts/users_venv.py DEST     # prints the bin/ folder the users run (DEST/bin, or .venv/bin)

Standard library only.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

PTH = "mllab-project-venv.pth"


def open_to_all(path: Path) -> bool:
    """Can every user reach ``path`` (search permission on it and on each folder above it)?"""
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in (path, *path.parents))


def reachable(python: Path) -> bool:
    """Can every user run this interpreter, and read its standard library?"""
    real = Path(os.path.realpath(python))
    if not (real.exists() and open_to_all(real.parent) and real.stat().st_mode & stat.S_IXOTH):
        return False
    stdlib = subprocess.run([str(real), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    return open_to_all(Path(stdlib))


def system_python(minor: str) -> Path | None:
    """A reachable interpreter of version ``minor`` (e.g. "3.11"), or None."""
    for folder in ("/usr/bin", "/usr/local/bin", "/opt/python/bin"):
        candidate = Path(folder) / f"python{minor}"
        if candidate.exists() and reachable(candidate):
            return candidate
    return None


def users_bin(project_bin: Path, dest: Path) -> Path:
    """The bin/ folder with which the hub's users run the project's packages (made in ``dest`` if needed)."""
    project_python = project_bin / "python"
    if reachable(project_python) and open_to_all(project_bin):
        return project_bin
    minor = subprocess.run([str(project_python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    python = system_python(minor)
    if python is None:
        raise SystemExit(f"no Python {minor} that every user can run (the project venv's, {os.path.realpath(project_python)}, "
                         f"is not reachable by other users): install python{minor} (Debian: apt-get install "
                         f"python{minor}-venv) or make .venv with such an interpreter (make PYTHON=/usr/bin/python{minor} venv)")
    site = subprocess.run([str(project_python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    _make(python, dest, Path(site), project_bin)
    return dest / "bin"


def _make(python: Path, dest: Path, site: Path, project_bin: Path) -> None:
    if not (dest / "bin" / "python").exists():
        subprocess.run([str(python), "-m", "venv", "--without-pip", str(dest)], check=True)
    own_site = Path(subprocess.run([str(dest / "bin" / "python"), "-c",
                                    "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    linked = subprocess.run(["cp", "-al", f"{site}/.", str(own_site)], capture_output=True)
    if linked.returncode != 0:
        # addsitedir also runs the project venv's own .pth files (the editable install of mllab).
        (own_site / PTH).write_text(f"import site; site.addsitedir({str(site)!r})\n")
    # JupyterLab's application (share/jupyter/lab), the lab extensions and the servers' configuration
    # (etc/jupyter) are found under sys.prefix.
    for folder in ("share", "etc"):
        if (project_bin.parent / folder).is_dir() and not (dest / folder).exists():
            if subprocess.run(["cp", "-al", str(project_bin.parent / folder), str(dest / folder)]).returncode != 0:
                (dest / folder).symlink_to(project_bin.parent / folder)
    for script in project_bin.iterdir():
        if script.name.startswith(("python", "activate", "Activate")) or not script.is_file():
            continue
        lines = script.read_bytes().split(b"\n", 1)
        if len(lines) == 2 and lines[0].startswith(b"#!") and lines[0].endswith(b"/python"):
            copy = dest / "bin" / script.name
            copy.write_bytes(b"#!" + str(dest / "bin" / "python").encode() + b"\n" + lines[1])
            copy.chmod(0o755)
    for folder in (dest, *(p for p in dest.rglob("*") if p.is_dir())):
        folder.chmod(folder.stat().st_mode | 0o055)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    print(users_bin(Path(sysconfig.get_path("scripts")), Path(sys.argv[1]).resolve()))
