"""Does `mllab report` tell a TA the truth about the class, and does it render in a real browser?"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import sync_playwright

from mllab.class_report import write_report
from tests.conftest import ASSIGNMENT, REPO

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def report(demo_run):
    html, table = write_report(demo_run.course, ASSIGNMENT)
    with table.open(encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return demo_run, html, rows


def _test_cells(course) -> list[str]:
    cells = nbformat.read(course.source_notebook(ASSIGNMENT), as_version=4).cells
    return [c.metadata.nbgrader["grade_id"] for c in cells if c.cell_type == "code"
            and c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")]


def test_the_csv_has_every_student_with_the_gradebook_score(report):
    demo_run, _, rows = report
    assert set(rows) == set(demo_run.scores)
    for student, score in demo_run.scores.items():  # nobody graded the written answers yet
        assert float(rows[student]["score"]) == score.auto_score, student
        assert int(rows[student]["manual_grades_pending"]) == score.manual_pending, student
    assert float(rows["perfect"]["score"]) == 100 and float(rows["blank"]["score"]) == 0


@pytest.fixture(scope="module")
def page(report):
    """The report opened in Debian's Chromium through Playwright; a screenshot is kept."""
    _, html, _ = report
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.goto(Path(html).as_uri())
        tab.wait_for_load_state("load")
        shot = ARTIFACTS / f"report-{ASSIGNMENT}.png"
        tab.screenshot(path=str(shot), full_page=True)
        seen = {
            "plot": tab.eval_on_selector("#score-plot", "img => [img.complete, img.naturalWidth, img.naturalHeight]"),
            "plot_box": tab.locator("#score-plot").bounding_box(),
            "pass_rows": tab.locator("#pass-rates tbody tr").all_inner_texts(),
            "failures": tab.locator("#failures tbody tr").all_inner_texts(),
            "backlog": tab.locator("#backlog p").first.inner_text(),
            "headings": tab.locator("h2").all_inner_texts(),
            "shot": shot,
        }
        browser.close()
    return seen


def test_the_score_plot_renders_in_chromium(page):
    complete, width, height = page["plot"]
    assert complete and width > 300 and height > 100
    assert page["plot_box"]["width"] > 300


def test_the_pass_rate_table_has_one_row_per_autograded_test_cell(page, report):
    demo_run, *_ = report
    assert [row.split("\t")[0] for row in page["pass_rows"]] == _test_cells(demo_run.course)


def test_the_most_frequent_failures_include_the_blank_notebooks_error(page):
    assert any("NotImplementedError" in row for row in page["failures"])


def test_the_manual_backlog_counts_every_ungraded_written_answer(page, report):
    demo_run, *_ = report
    pending = sum(s.manual_pending for s in demo_run.scores.values())
    assert pending > 0 and page["backlog"].startswith(f"{pending} grades still need a person")


def test_every_section_is_there_and_a_screenshot_is_kept(page):
    assert page["headings"] == ["Score distribution", "Pass rate per test cell", "Most frequent failure messages",
                                "Submissions whose grading failed or needed attention", "Manual grading backlog",
                                "All students"]
    assert page["shot"].stat().st_size > 20_000
