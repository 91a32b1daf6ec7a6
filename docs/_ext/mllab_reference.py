"""Sphinx directives that write the reference from the code, so it cannot drift from it.

``mllab-cli`` walks ``mllab.cli._parser()``; ``mllab-statuses`` reads ``STATUSES``;
``mllab-exit-codes`` finds every ``MllabError`` subclass and its ``exit_code`` in the source (with
``ast``, so nothing heavy is imported); ``mllab-layers`` reads the layer order of
tests/test_package_layout.py; ``mllab-extension-columns`` reads ``EXTENSION_COLUMNS``;
``mllab-assignment-keys`` reads ``KEYS`` (the keys of an assignment's table in course.toml). Each
directive writes Markdown that MyST parses in place.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

REPO = Path(__file__).resolve().parents[2]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows] + [""]


def _option_name(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`" + (" …" if action.nargs in ("*", "+") else "")
    names = ", ".join(f"`{name}`" for name in action.option_strings)
    if action.nargs == 0:
        return names
    return f"{names} `{action.metavar or action.dest.upper()}`" + (" …" if action.nargs in ("*", "+") else "")


def _option_help(action: argparse.Action) -> str:
    text = action.help or ""
    if action.nargs == 0 or action.default in (None, [], argparse.SUPPRESS) or not action.option_strings:
        return text
    return f"{text} (default: {action.default})".strip()


def cli_lines() -> list[str]:
    from mllab.cli import _parser
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in commands._choices_actions}
    lines: list[str] = []
    for name, command in commands.choices.items():
        lines += [f"### `mllab {name}`", "", _cell(helps.get(name, "")), "", "```text",
                  command.format_usage().strip().removeprefix("usage: "), "```", ""]
        actions = [a for a in command._actions if not isinstance(a, argparse._HelpAction)]
        if actions:
            lines += _table(("argument", "what it does"), [(_option_name(a), _option_help(a)) for a in actions])
    return lines


def status_lines() -> list[str]:
    from mllab.autograde.state import STATUSES
    return _table(("status", "what happened"), [(f"`{name}`", text) for name, text in STATUSES.items()])


def _error_classes() -> list[tuple[str, str, str, int | None, str]]:
    """(class, module, base, its own exit_code or None, first docstring line) of every class in mllab/."""
    found = []
    for path in sorted((REPO / "mllab").rglob("*.py")):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases]
            code = next((stmt.value.value for stmt in node.body if isinstance(stmt, ast.Assign)
                         and any(getattr(t, "id", "") == "exit_code" for t in stmt.targets)), None)
            doc = (ast.get_docstring(node) or "").split("\n\n")[0]
            found.append((node.name, module, bases[0] if bases else "", code, doc))
    return found


def exit_code_lines() -> list[str]:
    classes = _error_classes()
    base = {name: parent for name, _, parent, _, _ in classes}
    own = {name: code for name, _, _, code, _ in classes}

    def code_of(name: str) -> int | None:
        while name and own.get(name) is None:
            name = base.get(name, "")
        return own.get(name)

    def is_error(name: str) -> bool:
        while name and name != "MllabError":
            name = base.get(name, "")
        return name == "MllabError"

    rows = sorted((code_of(name), name, module, doc) for name, module, _, _, doc in classes if is_error(name))
    return _table(("exit code", "error", "module", "what it means"),
                  [(str(code), f"`{name}`", f"`{module}`", doc) for code, name, module, doc in rows])


def layer_lines() -> list[str]:
    tree = ast.parse((REPO / "tests" / "test_package_layout.py").read_text(encoding="utf-8"))
    layers = next(ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                  and any(getattr(t, "id", "") == "LAYERS" for t in node.targets))
    return _table(("layer", "units"), [(str(rank), ", ".join(f"`{unit}`" for unit in units))
                                       for rank, units in enumerate(layers)])


def extension_column_lines() -> list[str]:
    from mllab.course.deadlines import EXTENSION_COLUMNS
    return ["```text", ",".join(EXTENSION_COLUMNS), "```", ""]


def assignment_key_lines() -> list[str]:
    from mllab.course.assignments import KEYS
    return _table(("key", "what it holds", "when it is absent"),
                  [(f"`{key}`", what, f"`{absent}`" if key in ("checks", "setup") else absent)
                   for key, (what, absent) in KEYS.items()])


class Generated(SphinxDirective):
    """A directive whose body is the Markdown its ``lines`` function writes."""

    lines = staticmethod(lambda: [])

    def run(self):
        container = self.parse_text_to_nodes("\n".join(self.lines())) if hasattr(self, "parse_text_to_nodes") \
            else self._parse(self.lines())
        return container

    def _parse(self, lines: list[str]):
        from docutils import nodes
        holder = nodes.container()
        self.state.nested_parse(StringList(lines, source="generated"), self.content_offset, holder)
        return holder.children


def _directive(function):
    return type(function.__name__, (Generated,), {"lines": staticmethod(function)})


def setup(app):
    for name, function in {"mllab-cli": cli_lines, "mllab-statuses": status_lines,
                           "mllab-exit-codes": exit_code_lines, "mllab-layers": layer_lines,
                           "mllab-extension-columns": extension_column_lines,
                           "mllab-assignment-keys": assignment_key_lines}.items():
        app.add_directive(name, _directive(function))
    return {"parallel_read_safe": True, "version": "1"}
