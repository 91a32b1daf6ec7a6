"""The course's assignments, each declared by one table of ``course.toml``.

An assignment is its source notebook ``source/<name>/<name>.ipynb`` plus its table::

    [assignments.loss_and_metric]
    due = 2026-12-18T23:59:00+01:00                 # the deadline, with its UTC offset (optional)
    data = ["cat.png", "yorkshire/image.png"]       # the files of data/ its notebook reads
    checks = "mllab.checks.loss_and_metric"         # the hidden checks (default: mllab.checks.<name>)
    demo = "mllab.classes.demo:LOSS_AND_METRIC"     # module:attribute, its demo students (optional)
    corpus = "mllab.classes.corpus_loss_and_metric" # alternatives and named mistakes (optional)
    setup = '''
    print(f"Data from {_data_source}")'''           # the setup cell's last lines (optional)

The tables' order is the order of the assignments. No list in the package names the assignments:
adding or removing one touches its source folder, its table and the modules the table names.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from mllab.errors import UsageError

CONFIG_FILE = "course.toml"
TABLE = "assignments"
EXAMPLE_DEADLINE = "2026-12-14T23:59:00+01:00"
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Assignment:
    """One assignment as its table in course.toml declares it."""

    name: str
    due: dt.datetime | None  # aware, with the offset as written
    data: tuple[str, ...]
    checks: str  # the hidden checks' module
    demo: str | None  # "module:attribute" of its demo students
    corpus: str | None  # the module of its correct alternatives and named mistakes
    setup: str | None  # the last lines of its setup cell


def with_offset(value, where: str) -> dt.datetime:
    """A date and time with its UTC offset (a TOML datetime or an ISO 8601 string), as written."""
    try:
        if not isinstance(value, (str, dt.datetime)):  # a TOML date without a time, a number, ...
            raise ValueError(value)
        moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{where}: {value!r} is not a date and time; write it like {EXAMPLE_DEADLINE}") from None
    if moment.tzinfo is None:
        raise UsageError(f"{where}: {value!r} has no UTC offset, so it would mean a different moment on every "
                         f"machine; write it like {EXAMPLE_DEADLINE}")
    return moment


def _text(value, where: str, what: str) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{where} must be {what}, not {value!r}")
    return value


def _module(value, where: str) -> str:
    if not _MODULE.fullmatch(_text(value, where, "a module name in quotes")):
        raise UsageError(f"{where} must be a module name such as \"mllab.checks.loss_and_metric\", not {value!r}")
    return value


def _demo(value, where: str) -> str:
    module, colon, attribute = _text(value, where, "\"module:attribute\"").partition(":")
    if not (colon and _MODULE.fullmatch(module) and attribute.isidentifier()):
        raise UsageError(f"{where} must be \"module:attribute\" (e.g. \"mllab.classes.demo:LOSS_AND_METRIC\"), "
                         f"not {value!r}")
    return value


def _data(value, where: str) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(name, str) and name for name in value)):
        raise UsageError(f"{where} must be a list of paths inside data/ (e.g. [\"cat.png\"]), not {value!r}")
    outside = [name for name in value if name.startswith("/") or ".." in Path(name).parts]
    if outside:
        raise UsageError(f"{where}: {', '.join(outside)} is not inside data/; write paths relative to data/")
    return tuple(value)


# Each key of an assignment's table: what it holds, and what its absence means (docs/reference.md
# shows this table).
KEYS = {
    "due": ("the deadline, a date and time with its UTC offset (e.g. 2026-12-18T23:59:00+01:00)", "no deadline"),
    "data": ("the files of data/ its notebook reads: its setup cell finds or downloads them and checks their "
             "SHA-256", "none"),
    "checks": ("the module of its hidden checks", "mllab.checks.NAME"),
    "demo": ("\"module:attribute\": its demo students, a tuple of DemoStudent", "no demo class"),
    "corpus": ("the module of its correct alternatives and named mistakes, for check-tests",
               "check-tests runs the solution, the contracts and the visible checks only"),
    "setup": ("the last lines of its setup cell", 'print(f"Data from {_data_source}")'),
}
_READ = {
    "due": with_offset,
    "data": _data,
    "checks": _module,
    "demo": _demo,
    "corpus": _module,
    "setup": lambda value, where: _text(value, where, "a string (the setup cell's last lines)"),
}


def _assignment(name: str, table, path: Path) -> Assignment:
    where = f"{path} [{TABLE}.{name}]"
    if not _NAME.fullmatch(name):
        raise UsageError(f"{where}: an assignment's name is lower case letters, digits and _ (it names its "
                         "folder source/<name>/ and its checks module), starting with a letter")
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table ([{TABLE}.{name}] with due, data, checks, ...), not {table!r}")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {', '.join(unknown)}; an assignment's table may have "
                         f"{', '.join(KEYS)}")
    read = {key: _READ[key](value, f"{where} {key}") for key, value in table.items()}
    return Assignment(name=name, due=read.get("due"), data=read.get("data", ()),
                      checks=read.get("checks", f"mllab.checks.{name}"), demo=read.get("demo"),
                      corpus=read.get("corpus"), setup=read.get("setup"))


def _config(root: Path) -> tuple[dict, Path]:
    path = Path(root) / CONFIG_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None


def declared(root: Path) -> dict[str, Assignment]:
    """Every assignment course.toml declares, in the order of its tables."""
    config, path = _config(root)
    tables = config.get(TABLE, {})
    if not isinstance(tables, dict):
        raise UsageError(f"{path}: {TABLE} must be one table per assignment ([{TABLE}.NAME]), not {tables!r}")
    return {name: _assignment(name, table, path) for name, table in tables.items()}


def assignment(root: Path, name: str) -> Assignment:
    """The declaration of ``name``; a UsageError saying how to declare it when there is none."""
    found = declared(root)
    if name not in found:
        raise UsageError(f"{Path(root) / CONFIG_FILE} declares no assignment {name!r} (it declares: "
                         f"{', '.join(found) or 'none'}): add a table [{TABLE}.{name}] with its due date and "
                         "data files (see docs/reference.md), or use `mllab new-assignment`")
    return found[name]


def assignment_names(root: Path) -> tuple[str, ...]:
    """The declared assignments' names, in course.toml's order."""
    return tuple(declared(root))
