"""Do the docs stay true: does the site build with warnings as errors, does every internal link of the
site and the README lead somewhere, does every `mllab` command and option they show exist in the
CLI's parser, and are the README's `make` commands the Makefile's targets?
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from mllab.cli import _parser

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
README = REPO / "README.md"


def _pages() -> list[Path]:
    return [README] + sorted(DOCS.glob("*.md"))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site as `make docs` builds it (warnings are errors), in a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                            str(DOCS), str(out)], cwd=REPO, capture_output=True, text=True)
    assert build.returncode == 0, f"the site does not build without warnings:\n{build.stderr[-4000:]}"
    return out


class _Anchors(HTMLParser):
    """The ids and the links of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _read_html(path: Path) -> _Anchors:
    page = _Anchors()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _broken_links(site: Path) -> list[str]:
    pages = {path: _read_html(path) for path in site.rglob("*.html")}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.name}: {link} (no such file)")
            elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in pages[target].ids:
                broken.append(f"{path.name}: {link} (no such anchor)")
    return broken


def test_the_site_builds_with_every_internal_link_resolved(site):
    assert (site / "index.html").exists() and (site / "students.html").exists()
    assert _broken_links(site) == []


def test_every_relative_link_of_the_readme_resolves(site):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8")):
        parts = urlsplit(target)
        if parts.scheme:
            continue
        path = (REPO / parts.path).resolve()
        if not path.exists():
            broken.append(f"{target} (no such file)")
        elif parts.fragment and path.parent == DOCS:
            if parts.fragment not in _read_html(site / path.with_suffix(".html").name).ids:
                broken.append(f"{target} (no such heading in the site)")
    assert broken == []


def test_the_reference_lists_every_command_of_the_parser(site):
    text = (site / "reference.html").read_text(encoding="utf-8")
    assert all(f"mllab {name}" in text for name in _subcommands(_parser()))


class _Rows(HTMLParser):
    """The text of each table row of a page."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append("")

    def handle_data(self, data):
        if self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def test_the_reference_gives_every_status_and_each_errors_own_exit_code(site):
    import importlib

    from mllab.autograde.state import STATUSES
    from mllab.errors import MllabError
    rows = _Rows()
    rows.feed((site / "reference.html").read_text(encoding="utf-8"))
    cells = [[" ".join(c.split()) for c in row] for row in rows.rows]
    assert {row[0] for row in cells if len(row) == 2 and row[0] in STATUSES} == set(STATUSES)
    errors = [row for row in cells if len(row) == 4 and row[0].isdigit()]
    assert len(errors) >= 10
    for code, name, module, _ in errors:
        error = getattr(importlib.import_module(module), name)
        assert issubclass(error, MllabError) and error.exit_code == int(code), (name, code)


# ---------------------------------------------------------------- commands shown in the docs

def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


def _shown_code(text: str) -> list[str]:
    """Every line of a fenced code block and every inline code span of a Markdown text."""
    blocks = re.findall(r"^\s*```[^\n]*\n(.*?)^\s*```", text, flags=re.S | re.M)
    outside = re.sub(r"^\s*```[^\n]*\n.*?^\s*```", "", text, flags=re.S | re.M)
    lines = [line for block in blocks for line in block.splitlines()]
    lines += [line for line in outside.splitlines() if line.startswith("    ")]  # indented blocks
    return lines + re.findall(r"`([^`\n]+)`", outside)


def _mllab_commands(code: str) -> list[list[str]]:
    """The `mllab …` commands (also `python -m mllab …`, `.venv/bin/mllab …`) in a line of code, as words."""
    commands = []
    for part in re.split(r"&&|;|\||#|\bthen\b|\bor\b", code):
        words = [w.strip("\"',") for w in re.sub(r"[\[\]()]", " ", part).split()]
        for i, word in enumerate(words):
            rest = words[i + 1:]
            if word.rsplit("/", 1)[-1].rsplit("=", 1)[-1] == "mllab" and rest and re.fullmatch(r"[a-z][a-z-]*", rest[0]):
                commands.append([word, *rest])
                break
    return commands


def unknown_in(text: str, parser: argparse.ArgumentParser) -> list[str]:
    """Each `mllab` subcommand or `--option` shown in ``text`` that the parser does not have."""
    subcommands = _subcommands(parser)
    unknown = []
    for code in _shown_code(text):
        for words in _mllab_commands(code):
            name = words[1]
            if name not in subcommands:
                unknown.append(f"mllab {name} (in `{code.strip()}`)")
                continue
            options = {o for a in subcommands[name]._actions for o in a.option_strings}
            unknown += [f"mllab {name} {w.split('=')[0]} (in `{code.strip()}`)" for w in words[2:]
                        if w.startswith("--") and w.split("=")[0] not in options]
    return unknown


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_mllab_command_and_option_shown_exists_in_the_parser(page):
    assert unknown_in(page.read_text(encoding="utf-8"), _parser()) == []


def test_the_command_check_catches_an_unknown_command_and_option():
    shown = ("```bash\nmllab autograde loss_and_metric --jobs 2 --fast\n```\n"
             "run `mllab grade-all x` or `python -m mllab report --course --real-ids`")
    assert unknown_in(shown, _parser()) == [
        "mllab autograde --fast (in `mllab autograde loss_and_metric --jobs 2 --fast`)",
        "mllab grade-all (in `mllab grade-all x`)"]


def test_the_docs_show_the_commands_of_every_role():
    shown = {words[1] for page in _pages() for code in _shown_code(page.read_text(encoding="utf-8"))
             for words in _mllab_commands(code)}
    assert {"serve", "autograde", "collect-and-grade", "hand-out", "report", "similarity",
            "import-roster", "release"} <= shown


# ---------------------------------------------------------------- the README's two commands

def _make_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w-]*):", (REPO / "Makefile").read_text(encoding="utf-8"), flags=re.M))


def test_the_readmes_two_commands_are_makefile_targets():
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    shown = [shlex.split(line.split("#")[0]) for block in blocks for line in block.splitlines()]
    make = [words[1] for words in shown if words[:1] == ["make"] and len(words) > 1]
    assert make[:2] == ["demo", "test"], "the README's first commands are `make demo` and `make test`"
    assert set(make) <= _make_targets()


def test_every_make_command_in_the_docs_is_a_makefile_target():
    shown = {target for page in _pages() for code in _shown_code(page.read_text(encoding="utf-8"))
             for target in re.findall(r"(?:^|\s)make ([a-z][\w-]*)(?=\s|$)", code)}
    assert shown and shown <= _make_targets(), shown - _make_targets()


def test_the_readme_is_short():
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 160


# ---------------------------------------------------------------- the site in Chromium

def test_a_student_finds_the_colab_links_from_the_start_page_in_chromium(site):
    """Screenshots of the start page and the student guide: test-artifacts/docs-start.png, docs-students.png."""
    from playwright.sync_api import sync_playwright

    from tests.browser import artifact, launch
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto((site / "index.html").as_uri())
            assert tab.locator("h1").first.inner_text().startswith("Loss and Metric")
            tab.screenshot(path=str(artifact("docs-start.png")), full_page=True)
            tab.locator("div.body a", has_text="Students").first.click()
            tab.wait_for_url("**/students.html")
            colab = tab.locator("a[href^='https://colab.research.google.com/']")
            assert colab.count() == 3 and colab.first.is_visible()
            assert tab.locator("pre", has_text="git clone").first.is_visible()
            assert tab.locator("h2", has_text="Reading your feedback").is_visible()
            tab.screenshot(path=str(artifact("docs-students.png")), full_page=True)
        finally:
            browser.close()
