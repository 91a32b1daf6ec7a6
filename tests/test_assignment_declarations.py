"""Is each assignment declared in one place, its table of course.toml: are the tables read in their
order, with the documented defaults, and does a malformed table say what to fix in which table and key?
Does every module the course's declarations name exist? Is an assignment whose table and folders are
removed gone everywhere (the commands' defaults, the lookups, the kernels' preloads), with the other
assignments' releases unchanged?"""

from __future__ import annotations

import datetime as dt
import importlib
import re
import shutil

import pytest

from mllab.classes.demo import DemoStudent, demo_class
from mllab.course.assignments import Assignment, assignment, assignment_names, declared
from mllab.course.deadlines import EXTENSIONS_FILE, deadlines, read_extensions
from mllab.course.nbgrader_steps import generate_release
from mllab.course.paths import Course, check_assignment, check_assignments
from mllab.errors import UsageError
from tests.conftest import REPO, copy_course


def _course_toml(tmp_path, text: str):
    (tmp_path / "course.toml").write_text(f'{text}\n[repository]\ngithub = "o/n"\nbranch = "main"\n',
                                          encoding="utf-8")
    return tmp_path


def test_the_assignments_come_in_the_order_of_their_tables(tmp_path):
    root = _course_toml(tmp_path, "[assignments.zeta]\n[assignments.alpha]\n[assignments.mid_2]\n")
    assert assignment_names(root) == ("zeta", "alpha", "mid_2")
    assert list(declared(root)) == ["zeta", "alpha", "mid_2"]


def test_an_empty_table_declares_an_assignment_with_the_defaults(tmp_path):
    root = _course_toml(tmp_path, "[assignments.session_3]\n")
    assert assignment(root, "session_3") == Assignment(name="session_3", due=None, data=(),
                                                       checks="mllab.checks.session_3", demo=None, corpus=None,
                                                       setup=None)


def test_a_full_table_is_read_as_written(tmp_path):
    root = _course_toml(tmp_path, """[assignments.session_3]
due = 2027-02-01T09:30:00-05:00
data = ["cat.png", "tables/a.csv"]
checks = "course_checks.session_3"
demo = "course_demo:SESSION_3"
corpus = "course_corpus.session_3"
setup = '''
x = 1
print(f"Data from {_data_source}")'''
""")
    found = assignment(root, "session_3")
    assert found.due == dt.datetime(2027, 2, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert found.due.utcoffset() == dt.timedelta(hours=-5), "the offset stays as written"
    assert found.data == ("cat.png", "tables/a.csv")
    assert (found.checks, found.demo, found.corpus) == ("course_checks.session_3", "course_demo:SESSION_3",
                                                        "course_corpus.session_3")
    assert found.setup == 'x = 1\nprint(f"Data from {_data_source}")'


def test_a_course_without_assignment_tables_declares_none(tmp_path):
    assert assignment_names(_course_toml(tmp_path, "")) == ()


@pytest.mark.parametrize("line, key, message", [
    ("deadline = 2026-12-01T23:59:00+01:00", "deadline", "unknown key deadline; an assignment's table may have due"),
    ('data = "cat.png"', "data", "must be a list of paths inside data/"),
    ('data = ["../secret.txt"]', "data", "is not inside data/"),
    ("checks = 3", "checks", "must be a module name in quotes"),
    ('checks = "mllab/checks/x.py"', "checks", "must be a module name such as"),
    ('demo = "mllab.classes.demo"', "demo", 'must be "module:attribute"'),
    ('corpus = ["a"]', "corpus", "must be a module name"),
    ("setup = 1", "setup", "must be a string"),
    ("due = 2026-12-01", "due", "is not a date and time; write it like 2026-12-14T23:59:00+01:00"),
    ('due = "2026-12-01 23:59"', "due", "has no UTC offset"),
    ("due = 2026-12-01T23:59:00", "due", "has no UTC offset"),
])
def test_a_malformed_table_names_course_toml_the_table_and_the_key(tmp_path, line, key, message):
    root = _course_toml(tmp_path, f"[assignments.lab]\n{line}\n")
    with pytest.raises(UsageError, match="course.toml") as raised:
        declared(root)
    assert f"[assignments.lab]{'' if key == 'deadline' else ' ' + key}" in str(raised.value)
    assert message in str(raised.value)


@pytest.mark.parametrize("text, message", [
    ("[assignments.Session-3]\n", "lower case letters, digits and _"),
    ("[assignments]\nlab = 3\n", "[assignments.lab] must be a table"),
    ("assignments = 3\n", "one table per assignment"),
    ("[assignments.lab\n", "cannot read"),
])
def test_a_malformed_assignments_table_says_what_to_write(tmp_path, text, message):
    with pytest.raises(UsageError, match="course.toml") as raised:
        declared(_course_toml(tmp_path, text))
    assert message in str(raised.value)


def test_an_undeclared_assignment_says_where_to_declare_it(tmp_path):
    root = _course_toml(tmp_path, "[assignments.lab]\n")
    with pytest.raises(UsageError, match=r"course.toml declares no assignment 'session_3' \(it declares: lab\)") \
            as raised:
        assignment(root, "session_3")
    assert "[assignments.session_3]" in str(raised.value) and "mllab new-assignment" in str(raised.value)


def test_every_module_the_course_declares_exists():
    for name, declaration in declared(REPO).items():
        assert (REPO / "source" / name / f"{name}.ipynb").is_file(), name
        importlib.import_module(declaration.checks)
        module, _, attribute = declaration.demo.partition(":")
        students = getattr(importlib.import_module(module), attribute)
        assert students and all(isinstance(student, DemoStudent) for student in students), name
        if declaration.corpus:
            importlib.import_module(declaration.corpus)


@pytest.fixture(scope="module")
def without_beyond_basics(tmp_path_factory) -> Course:
    """A copy of the course with beyond_basics taken out the way an instructor would: its table in
    course.toml and its folders source/beyond_basics/ and release/beyond_basics/ removed."""
    course = copy_course(tmp_path_factory.mktemp("removed") / "course")
    path = course.root / "course.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index("[assignments.beyond_basics]")
    end = re.compile(r"^[\[#]", re.M).search(text, start + 1).start()  # the next table or comment
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    shutil.rmtree(course.source / "beyond_basics")
    shutil.rmtree(course.release / "beyond_basics")
    return course


def test_a_removed_assignment_is_gone_from_every_default_and_lookup(without_beyond_basics):
    from mllab.cli import _parser

    course, others = without_beyond_basics, ("loss_and_metric", "custom_losses")
    assert assignment_names(course.root) == others
    for command in ("demo", "demo-round-trip"):
        assert check_assignments(course, _parser().parse_args([command]).assignments) == others, command
    assert tuple(deadlines(course.root)) == others
    with pytest.raises(UsageError, match="unknown assignment 'beyond_basics'"):
        check_assignment(course, "beyond_basics")
    with pytest.raises(UsageError, match="declares no assignment 'beyond_basics'"):
        demo_class(course, "beyond_basics")
    (course.root / EXTENSIONS_FILE).write_text(
        "student_id,assignment,extra_days,new_deadline,reason\ns1,beyond_basics,2,,ill\n", encoding="utf-8")
    try:
        with pytest.raises(UsageError, match="line 2: unknown assignment 'beyond_basics'"):
            read_extensions(course.root)
    finally:
        (course.root / EXTENSIONS_FILE).unlink()


def test_a_source_folder_without_its_table_is_not_an_assignment(without_beyond_basics, tmp_path):
    course = copy_course(tmp_path / "course")
    (course.root / "course.toml").write_text((without_beyond_basics.root / "course.toml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    with pytest.raises(UsageError, match=r"declares no assignment 'beyond_basics' .*\[assignments.beyond_basics\]"):
        check_assignment(course, "beyond_basics")
    assert check_assignments(course, []) == ("loss_and_metric", "custom_losses")


def test_releasing_the_other_assignments_after_a_removal_changes_nothing(without_beyond_basics, repo):
    for name in ("loss_and_metric", "custom_losses"):
        generate_release(without_beyond_basics, name)
        for notebook in (Course.source_notebook, Course.release_notebook):
            assert notebook(without_beyond_basics, name).read_bytes() == notebook(repo, name).read_bytes(), name


def test_the_kernels_preload_every_checks_module_of_the_package_and_no_other(tmp_path):
    from mllab.autograde.zygote import PRELOAD, checks_modules

    installed = checks_modules()
    assert {a.checks for a in declared(REPO).values()} <= set(installed) <= set(PRELOAD)
    assert not {"mllab.checks.common", "mllab.checks.contracts", "mllab.checks.salt"} & set(installed)
    package = tmp_path / "checks"
    shutil.copytree(REPO / "mllab" / "checks", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "beyond_basics.py").unlink()  # what taking the assignment out removes from the package
    (package / "session_3.py").write_text("", encoding="utf-8")  # and what adding one adds
    assert checks_modules([str(package)]) == tuple(sorted(
        {*installed, "mllab.checks.session_3"} - {"mllab.checks.beyond_basics"}))
