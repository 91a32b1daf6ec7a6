"""Does the intake copy a submission folder, repair only the copy, and say why it cannot grade one?

The inputs are real: the perfect and blank demo students (the instructor's solutions written
into the release), changed the way students and their editors change notebooks. The last
tests hand the repaired copies to real nbgrader and read the scores from its gradebook.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import nbformat
import pytest

from mllab.autograde import intake as intake_module
from mllab.autograde.intake import Intake, prepare_submission
from mllab.classes.demo import LOSS_AND_METRIC, write_submissions
from mllab.errors import PipelineError
from mllab.course.nbgrader_steps import autograde
from mllab.course.scores import assignment_scores
from tests.conftest import ASSIGNMENT, copy_course, release_assignment

NAME = f"{ASSIGNMENT}.ipynb"
OLD = 1_600_000_000  # the originals' timestamps, so that any touch would show
STUDENTS = {s.student_id: s for s in LOSS_AND_METRIC}


# -- inputs ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course copy with the perfect and blank students written from its committed release."""
    course = copy_course(tmp_path_factory.mktemp("intake_course"))
    write_submissions(course, ASSIGNMENT, (STUDENTS["perfect"], STUDENTS["blank"]))
    return course


@pytest.fixture(scope="module")
def release(course) -> Path:
    return course.release_notebook(ASSIGNMENT)


def handed_in(course, student: str = "perfect"):
    """A fresh copy of a demo student's notebook."""
    return nbformat.read(course.submission_dir(student, ASSIGNMENT) / NAME, as_version=4)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def index_of(nb, wanted: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if grade_id(cell) == wanted)


def as_v3(nb) -> str:
    """nbformat's own downgrade of a notebook to nbformat 3 (convert works in place: copy first)."""
    return nbformat.writes(nbformat.convert(copy.deepcopy(nb), 3), version=3)


def stripped(nb):
    """The notebook as an editor that drops all cell metadata saves it."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata = nbformat.NotebookNode()
    return nb


def pasted_twice(nb, wanted: str):
    """The student copied the cell ``wanted`` and pasted it right below."""
    nb = copy.deepcopy(nb)
    i = index_of(nb, wanted)
    twin = copy.deepcopy(nb.cells[i])
    twin["id"] = "pasted-copy"
    nb.cells.insert(i + 1, twin)
    return nb


def without(nb, *grade_ids: str):
    nb = copy.deepcopy(nb)
    nb.cells = [cell for cell in nb.cells if grade_id(cell) not in grade_ids]
    return nb


def write_folder(folder: Path, files: dict) -> Path:
    """A submission folder with ``files`` (notebooks, text, bytes or a Path to link to), dated in the past."""
    folder.mkdir(parents=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):  # a symbolic link to that path
            path.symlink_to(content)
            continue
        if isinstance(content, nbformat.NotebookNode):
            content = nbformat.writes(content)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    for path in [*folder.rglob("*"), folder]:
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    return folder


def snapshot(folder: Path) -> dict:
    """Every entry of the folder (itself included): bytes or link target, and modification time."""
    entries = {}
    for path in sorted([folder, *folder.rglob("*")]):
        info = path.lstat()
        content = os.readlink(path) if path.is_symlink() else path.read_bytes() if path.is_file() else None
        entries[str(path.relative_to(folder))] = (content, info.st_mtime_ns)
    return entries


@pytest.fixture
def take_in(tmp_path, release):
    """Hand in ``files``, run the intake into a workspace folder, and check the original is untouched."""

    def run(files: dict, newer: tuple[str, ...] = ()) -> tuple[Intake, Path, Path]:
        original = write_folder(tmp_path / "submitted" / "student" / ASSIGNMENT, files)
        for name in newer:  # saved an hour after the others
            os.utime(original / name, (OLD + 3600, OLD + 3600))
        before = snapshot(original)
        dest = tmp_path / "workspace" / "submitted" / "student" / ASSIGNMENT
        result = prepare_submission(original, dest, release)
        assert snapshot(original) == before, "the intake changed the student's original folder"
        assert (result.notebook is None) == (result.problem is not None)
        return result, original, dest

    return run


def notebooks_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.ipynb"))


# -- 1. normal ---------------------------------------------------------------------------------

def test_a_normal_submission_is_copied_byte_for_byte_with_no_notes(take_in, course):
    files = {NAME: handed_in(course), "timestamp.txt": "2024-05-06 10:11:12.000000 UTC",
             "data/my_plot.png": b"\x89PNG not really"}
    result, original, dest = take_in(files)
    assert result == Intake(dest / NAME, None, ())
    assert not result.repaired
    for name in files:
        assert (dest / name).read_bytes() == (original / name).read_bytes()


# -- 2.-5. ungradable --------------------------------------------------------------------------

def test_a_damaged_json_file_cannot_be_graded_and_the_problem_says_where(take_in, course):
    text = nbformat.writes(handed_in(course))
    result, _, _ = take_in({NAME: text[: len(text) // 2]})
    assert result.notebook is None and not result.repaired
    assert result.problem.startswith(f"{NAME} is not valid JSON (line ")
    assert "column" in result.problem and "re-upload" in result.problem


def test_the_json_error_position_is_the_one_json_reports(take_in):
    result, _, _ = take_in({NAME: '{"cells": [}'})
    assert result.problem == (f"{NAME} is not valid JSON (line 1, column 12: Expecting value): "
                              "the file is damaged; ask the student to re-upload it")


@pytest.mark.parametrize("content", [b"", b"  \n\t \n"], ids=["zero-bytes", "whitespace"])
def test_an_empty_notebook_file_cannot_be_graded(take_in, content):
    result, _, _ = take_in({NAME: content})
    assert result.notebook is None
    assert result.problem.startswith(f"{NAME} is empty")


@pytest.mark.parametrize("content", ["[1, 2, 3]", '{"metadata": {}, "nbformat": 4}', '"a notebook"',
                                     '{"cells": [1, 2], "nbformat": 4}'],
                         ids=["list", "dict-without-cells", "string", "cells-that-are-not-cells"])
def test_json_that_is_not_a_notebook_cannot_be_graded(take_in, content):
    result, _, _ = take_in({NAME: content})
    assert result.notebook is None
    assert result.problem.startswith(f"{NAME} is valid JSON but not a Jupyter notebook (")


def test_a_folder_without_a_notebook_cannot_be_graded(take_in):
    result, _, dest = take_in({"timestamp.txt": "2024-05-06 10:11:12", "solution.py": "print(1)"})
    assert result.notebook is None
    assert result.problem == f"no notebook (.ipynb file) in the submission folder; expected {NAME}"
    assert (dest / "solution.py").is_file()


# -- 6.-7. which notebook ----------------------------------------------------------------------

@pytest.mark.parametrize("name", [f"{ASSIGNMENT} (1).ipynb", "Untitled.ipynb"])
def test_a_notebook_with_another_name_is_graded_under_the_release_name(take_in, course, name):
    result, original, dest = take_in({name: handed_in(course), "timestamp.txt": "2024-05-06 10:11:12"})
    assert result.notebook == dest / NAME and result.problem is None and result.repaired
    assert notebooks_in(dest) == [NAME]
    assert (dest / NAME).read_bytes() == (original / name).read_bytes()
    assert result.notes == (f"renamed {name} to {NAME} (the notebook had another name)",)


def test_of_several_wrongly_named_notebooks_the_one_most_like_the_release_is_graded(take_in, course):
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('trying things')")])
    files = {"Untitled.ipynb": scratch, f"{ASSIGNMENT} (1).ipynb": handed_in(course),
             "notes.ipynb": stripped(handed_in(course)), "broken.ipynb": "{"}
    result, original, dest = take_in(files)
    assert notebooks_in(dest) == [NAME]
    assert (dest / NAME).read_bytes() == (original / f"{ASSIGNMENT} (1).ipynb").read_bytes()
    assert result.notes[0] == f"renamed {ASSIGNMENT} (1).ipynb to {NAME} (the notebook had another name)"
    ignored = " ".join(result.notes[1:])
    assert all(f"removed the extra notebook {n}" in ignored for n in ("Untitled.ipynb", "notes.ipynb", "broken.ipynb"))
    assert "broken.ipynb from the copy (it is not a readable notebook)" in ignored


@pytest.mark.parametrize("newer", [f"{ASSIGNMENT} (1).ipynb", f"{ASSIGNMENT} (2).ipynb"])
def test_of_two_versions_of_the_assignment_under_other_names_the_newer_is_graded(take_in, course, newer):
    older = ({f"{ASSIGNMENT} (1).ipynb", f"{ASSIGNMENT} (2).ipynb"} - {newer}).pop()
    result, original, dest = take_in({older: handed_in(course, "blank"), newer: handed_in(course)},
                                     newer=(newer,))
    assert (dest / NAME).read_bytes() == (original / newer).read_bytes()
    assert result.notes == (f"renamed {newer} to {NAME} (the notebook had another name)",
                            f"removed the extra notebook {older} from the copy "
                            f"({newer} is more like the release, or newer)")


def test_a_damaged_notebook_gives_way_to_a_readable_copy_of_the_assignment(take_in, course):
    result, original, dest = take_in({NAME: "", f"{ASSIGNMENT} (1).ipynb": handed_in(course)})
    assert result.problem is None
    assert (dest / NAME).read_bytes() == (original / f"{ASSIGNMENT} (1).ipynb").read_bytes()
    assert f"removed the extra notebook {NAME} from the copy (it is not a readable notebook)" in result.notes


def test_an_extra_notebook_next_to_the_right_one_is_left_out_of_the_copy(take_in, course):
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    result, original, dest = take_in({NAME: handed_in(course), "Untitled.ipynb": scratch})
    assert result.notebook == dest / NAME and not result.repaired
    assert notebooks_in(dest) == [NAME]
    assert (dest / NAME).read_bytes() == (original / NAME).read_bytes()
    assert result.notes == ("removed the extra notebook Untitled.ipynb from the copy "
                            "(nbgrader skips notebooks it does not know)",)


# -- 8. nbformat 3 -----------------------------------------------------------------------------

def test_an_nbformat_3_notebook_is_converted_to_nbformat_4(take_in, course):
    perfect = handed_in(course)
    result, _, dest = take_in({NAME: as_v3(perfect)})
    assert result.repaired and result.notes == ("converted from nbformat 3 to nbformat 4",)
    assert json.loads((dest / NAME).read_text())["nbformat"] == 4
    copy_nb = nbformat.read(dest / NAME, as_version=4)
    assert [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in copy_nb.cells] == \
           [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in perfect.cells]


# -- 9. stripped nbgrader metadata -------------------------------------------------------------

def nbgrader_metadata(nb) -> list:
    return [{k: c.metadata.get(k) for k in ("nbgrader", "deletable", "editable")} for c in nb.cells]


@pytest.mark.parametrize("student", ["perfect", "blank"])
def test_a_notebook_with_stripped_metadata_is_matched_back_to_the_release(take_in, course, release, student):
    solved = handed_in(course, student)
    result, _, dest = take_in({NAME: stripped(solved)})
    graded_cells = sum(1 for c in nbformat.read(release, as_version=4).cells if grade_id(c))
    assert result.repaired
    assert result.notes == (f"restored nbgrader metadata on {graded_cells} of {graded_cells} "
                            "nbgrader cells by matching the release",)
    repaired = nbformat.read(dest / NAME, as_version=4)
    assert [c.source for c in repaired.cells] == [c.source for c in solved.cells]
    assert nbgrader_metadata(repaired) == nbgrader_metadata(solved)


def test_stripped_metadata_is_matched_past_extra_cells_and_an_edited_test_cell(take_in, course):
    perfect = handed_in(course)
    student = stripped(perfect)
    i = index_of(perfect, "mse_mae_own")
    student.cells[i + 2].source += "\nprint('my own check')"  # test_mae_own, edited
    student.cells.insert(i + 1, nbformat.v4.new_code_cell("mse_loss(torch.ones(3), torch.zeros(3))"))
    student.cells.insert(i, nbformat.v4.new_markdown_cell("My notes: MSE squares first."))
    result, _, dest = take_in({NAME: student})
    repaired = nbformat.read(dest / NAME, as_version=4)
    by_id = {grade_id(c): c for c in repaired.cells if grade_id(c)}
    assert set(by_id) == {grade_id(c) for c in perfect.cells if grade_id(c)}
    for cell in perfect.cells:
        if grade_id(cell) and grade_id(cell) != "test_mae_own":
            assert by_id[grade_id(cell)].source == cell.source, grade_id(cell)
    assert by_id["test_mae_own"].source.endswith("print('my own check')")
    assert "test cell test_mae_own was edited; nbgrader restores it from the source" in result.notes


def test_partly_stripped_metadata_is_restored_only_where_it_is_missing(take_in, course):
    perfect = handed_in(course)
    student = copy.deepcopy(perfect)
    lost = ["mse_mae_own", "test_ce_lib", "answer_cosine"]
    for wanted in lost:
        del student.cells[index_of(student, wanted)].metadata["nbgrader"]
    result, _, dest = take_in({NAME: student})
    assert result.notes == ("restored nbgrader metadata on 3 of 3 nbgrader cells by matching the release",)
    assert nbgrader_metadata(nbformat.read(dest / NAME, as_version=4)) == nbgrader_metadata(perfect)


# -- 10.-11. what nbgrader restores itself, and pasted cells -----------------------------------

def test_deleted_edited_and_repointed_test_cells_are_noted_and_left_to_nbgrader(take_in, course):
    student = without(handed_in(course), "test_ce_own")
    student.cells[index_of(student, "test_mse_own")].source += "\nassert True"
    student.cells[index_of(student, "test_mae_own")].metadata.nbgrader.points = 30
    result, original, dest = take_in({NAME: student})
    assert not result.repaired
    assert (dest / NAME).read_bytes() == (original / NAME).read_bytes()
    assert result.notes == (
        "the points of test cell test_mae_own were changed to 30; nbgrader restores them from the source",
        "test cell test_mse_own was edited; nbgrader restores it from the source",
        "test cell test_ce_own was deleted; nbgrader restores it from the source",
    )


def test_a_cell_pasted_twice_keeps_its_nbgrader_metadata_on_the_last_copy_only(take_in, course):
    student = pasted_twice(handed_in(course), "mse_mae_own")
    result, _, dest = take_in({NAME: student})
    assert result.repaired
    assert result.notes == ("cell mse_mae_own appears 2 times: all copies run; as nbgrader's DeduplicateIds "
                            "does, only the last copy keeps its nbgrader metadata (removed from the others)",)
    repaired = nbformat.read(dest / NAME, as_version=4)
    i = index_of(student, "mse_mae_own")
    assert "nbgrader" not in repaired.cells[i].metadata
    assert repaired.cells[i + 1].metadata["nbgrader"] == student.cells[i + 1].metadata["nbgrader"]
    assert [c.source for c in repaired.cells] == [c.source for c in student.cells]


def test_a_deleted_solution_cell_gets_an_empty_stand_in_when_its_test_cells_are_gone_too(take_in, course):
    perfect = handed_in(course)
    result, _, dest = take_in({NAME: without(perfect, "mse_mae_own", "test_mae_own", "test_mse_own")})
    assert result.repaired
    assert result.notes[0].startswith("solution cell mse_mae_own was deleted together with the grade cell after it")
    assert result.notes[1:] == ("test cell test_mae_own was deleted; nbgrader restores it from the source",
                                "test cell test_mse_own was deleted; nbgrader restores it from the source")
    repaired = nbformat.read(dest / NAME, as_version=4)
    stand_in = repaired.cells[index_of(perfect, "mse_mae_own")]
    assert stand_in.source == "" and grade_id(stand_in) == "mse_mae_own"


def test_a_deleted_solution_cell_alone_is_only_noted(take_in, course):
    result, original, dest = take_in({NAME: without(handed_in(course), "dice_own")})
    assert (dest / NAME).read_bytes() == (original / NAME).read_bytes()
    assert result.notes == ("solution cell dice_own was deleted; nbgrader does not restore it, "
                            "so the tests that use it fail",)


# -- safety ------------------------------------------------------------------------------------

def test_a_symlink_in_the_folder_is_left_out_of_the_copy(take_in, course, tmp_path):
    secret = tmp_path / "instructor_only.txt"
    secret.write_text("the hidden tests")
    result, _, dest = take_in({NAME: handed_in(course), "peek.txt": secret})
    assert result.problem is None and not result.repaired
    assert not (dest / "peek.txt").exists() and not (dest / "peek.txt").is_symlink()
    assert result.notes == ("left out peek.txt: links and special files are not copied",)


def test_an_unexpected_failure_becomes_an_ungradable_intake(take_in, course, monkeypatch):
    def explode(*args):
        raise RuntimeError("a bug in the matching")

    monkeypatch.setattr(intake_module, "_restore_metadata", explode)
    result, _, _ = take_in({NAME: stripped(handed_in(course))})
    assert result.notebook is None
    assert result.problem == "the submission could not be taken in: RuntimeError: a bug in the matching"


def test_a_workspace_that_is_the_submission_folder_itself_is_refused(tmp_path, course, release):
    original = write_folder(tmp_path / "student", {NAME: handed_in(course)})
    before = snapshot(original)
    result = prepare_submission(original, original, release)
    assert result.notebook is None and "overlaps the submission folder" in result.problem
    assert snapshot(original) == before


# -- end to end: the repaired copies graded by real nbgrader -----------------------------------

BROKEN_BY_NBGRADER = ("stripped", "pasted_twice", "deleted_mse_mae")  # plain nbgrader stops on these


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Intake copies of changed perfect notebooks (students ``repaired_<case>``) autograded by
    nbgrader in a fresh course, and the same notebooks handed to nbgrader as they are
    (``unrepaired_<case>``, only the cases plain nbgrader cannot grade). nbgrader's ``--student``
    takes one glob, so each group is one nbgrader run."""
    root = tmp_path_factory.mktemp("graded")
    course = copy_course(root / "course")
    release_assignment(course, ASSIGNMENT)
    write_submissions(course, ASSIGNMENT, (STUDENTS["perfect"],))
    perfect = handed_in(course)
    handed = {"stripped": stripped(perfect), "v3": as_v3(perfect),
              "pasted_twice": pasted_twice(perfect, "mse_mae_own"),
              "deleted_mse_mae": without(perfect, "mse_mae_own", "test_mae_own", "test_mse_own")}
    for case, notebook in handed.items():
        original = write_folder(root / "handed_in" / case / ASSIGNMENT, {NAME: notebook})
        before = snapshot(original)
        intake = prepare_submission(original, course.submission_dir(f"repaired_{case}", ASSIGNMENT),
                                    course.release_notebook(ASSIGNMENT))
        assert intake.repaired and snapshot(original) == before, intake
    autograde(course, ASSIGNMENT, "repaired_*")
    for case in BROKEN_BY_NBGRADER:
        write_folder(course.submission_dir(f"unrepaired_{case}", ASSIGNMENT), {NAME: handed[case]})
    with pytest.raises(PipelineError) as failure:
        autograde(course, ASSIGNMENT, "unrepaired_*")
    scores = {s.student: s for s in assignment_scores(course, ASSIGNMENT)}
    return course, scores, str(failure.value)


def test_the_stripped_copy_of_the_perfect_student_gets_full_marks_from_real_nbgrader(graded):
    _, scores, _ = graded
    assert (scores["repaired_stripped"].auto_score, scores["repaired_stripped"].auto_max) == (100.0, 100.0)


@pytest.mark.parametrize("case", BROKEN_BY_NBGRADER)
def test_handed_straight_to_nbgrader_the_broken_notebook_does_not_get_full_marks(graded, case):
    _, scores, failure = graded
    unrepaired = scores.get(f"unrepaired_{case}")
    assert unrepaired is None or unrepaired.auto_score < 100.0
    assert f"error processing assignment 'loss_and_metric' for student 'unrepaired_{case}'" in failure


def test_the_converted_nbformat_3_copy_gets_full_marks(graded):
    _, scores, _ = graded
    assert scores["repaired_v3"].auto_score == 100.0


def test_the_copy_with_a_pasted_cell_gets_full_marks(graded):
    _, scores, _ = graded
    assert scores["repaired_pasted_twice"].auto_score == 100.0


def test_a_deleted_solution_with_its_test_cells_costs_only_those_points(graded):
    course, scores, _ = graded
    lost = ("test_mae_own", "test_mse_own")
    result = scores["repaired_deleted_mse_mae"]
    assert all(result.cell_scores[g] == (0.0, 3.0) for g in lost)
    assert result.auto_score == 100.0 - sum(result.cell_scores[g][1] for g in lost)
    autograded = nbformat.read(course.autograded / "repaired_deleted_mse_mae" / ASSIGNMENT / NAME, as_version=4)
    ids = [grade_id(c) for c in autograded.cells]
    assert ids[ids.index("mse_mae_own"):ids.index("mse_mae_own") + 3] == ["mse_mae_own", *lost]
