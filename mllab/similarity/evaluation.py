"""Evaluation classes for the similarity report: independent students and planted copies.

An independent student draws each function of an assignment from several different
implementations (:mod:`mllab.similarity.eval_solutions` for loss_and_metric,
:mod:`.eval_custom_losses`, :mod:`.eval_beyond_basics`), each name's spelling and each written
answer's points and phrasings, from their own random stream. A planted copy takes one student's
work with one disguise (:mod:`mllab.similarity.disguises`):

- ``renamed``, ``reformatted``, ``reordered``, ``comments``, ``small-edits``: every code cell
  copied with that disguise; the written answers are the copier's own;
- ``partial``: a third of the code cells copied as they are, the rest the copier's own;
- ``answers``: the written answers copied and lightly reworded; the code is the copier's own.
"""

from __future__ import annotations

import copy
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from mllab.similarity import disguises, eval_beyond_basics, eval_custom_losses, eval_solutions
from mllab.similarity.eval_solutions import SPELLINGS
from mllab.similarity.sources import solution_cells

ASSIGNMENT = "loss_and_metric"
POOLS = {"loss_and_metric": eval_solutions, "custom_losses": eval_custom_losses, "beyond_basics": eval_beyond_basics}  # CODE, ANSWERS, OPTIONAL each
STUB = re.compile(r"^([ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(\)", re.MULTILINE)
DISGUISES = (*disguises.CODE_DISGUISES, "partial", "answers")
_NAME = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class Planted:
    source: str  # the student copied from
    copy: str  # the copier
    disguise: str


# habits of a student's hand, each drawn once per student and applied to all their code: (chance, pattern, new)
CODE_HABITS = (
    (0.4, re.compile(r"(?<=[(,] )dim=|(?<=\()dim="), ""),  # positional dim
    (0.4, re.compile(r"\bnp\.asarray\("), "np.array("),
    (0.3, re.compile(r"\btorch\.as_tensor\("), "torch.tensor("),
    (0.3, re.compile(r"\b2 \* "), "2.0 * "),
    (0.3, re.compile(r"\.shape\[0\]"), ".size(0)"),
    (0.3, re.compile(r"\blen\((\w+)\)"), r"\1.shape[0]"),
    (0.25, re.compile(r"\.float\(\)"), ".double()"),
    (0.3, re.compile(r"^return (?!.*,)(.+)$", re.MULTILINE), r"<result> = \1\nreturn <result>"),
)
# habits of a student's writing
TEXT_HABITS = (
    (0.4, re.compile(r"\bdoes not\b"), "doesn't"),
    (0.4, re.compile(r"\bis not\b"), "isn't"),
    (0.3, re.compile(r"^"), "I think "),
    (0.3, re.compile(r"\bthe (\w+) class\b"), r"class \1"),
    (0.3, re.compile(r"\bso\b"), "therefore"),
    (0.3, re.compile(r"\bbecause\b"), "as"),
    (0.3, re.compile(r"\bvalue\b"), "result"),
    (0.3, re.compile(r"\bmeans\b"), "indicates"),
    (0.3, re.compile(r"\bgives\b"), "results in"),
    (0.3, re.compile(r"\bvery\b"), "really"),
    (0.3, re.compile(r"\b(\w+)s are\b"), r"every \1 is"),
)


def _habits(table, rng: random.Random) -> list:
    return [(pattern, new) for chance, pattern, new in table if rng.random() < chance]


def _apply(text: str, habits) -> str:
    for pattern, new in habits:
        text = pattern.sub(new, text)
    return text


def _group_end(template: str, start: int) -> tuple[int, list[int]]:
    """Where the ``[[`` group at ``start`` ends (its ``]]``), and where its own ``||`` stand. Groups nest; a
    lone ``[`` or ``]`` is code (``[[x[0]||y[t[i]]]]`` holds the options ``x[0]`` and ``y[t[i]]``)."""
    position, depth, nested, bars = start + 2, 0, 0, []
    while True:
        if position >= len(template):
            raise ValueError(f"unclosed [[ in {template!r}")
        if template.startswith("[[", position) and depth == 0:
            nested, position = nested + 1, position + 2
        elif template.startswith("]]", position) and depth == 0:
            if nested == 0:
                return position, bars
            nested, position = nested - 1, position + 2
        elif template.startswith("||", position) and nested == 0:
            bars.append(position)
            position += 2
        else:
            depth += {"[": 1, "]": -1}.get(template[position], 0)
            position += 1


def _choices(template: str, rng: random.Random) -> str:
    """Each ``[[a||b||…]]`` group replaced by one of its options (itself filled the same way)."""
    out, position = [], 0
    while (start := template.find("[[", position)) >= 0:
        end, bars = _group_end(template, start)
        bounds = [start, *bars, end]
        options = [template[left + 2:right] for left, right in zip(bounds, bounds[1:])]
        out += [template[position:start], _choices(rng.choice(options), rng)]
        position = end + 2
    return "".join(out) + template[position:]


def _fill(template: str, rng: random.Random, spelling: dict[str, str]) -> str:
    text = _choices(template, rng)
    return _NAME.sub(lambda m: spelling.setdefault(m.group(1), rng.choice(SPELLINGS).format(m.group(1).lower())), text)


def _indent(body: str, indent: str) -> str:
    return "\n".join((indent + line) if line.strip() else "" for line in body.splitlines())


def _code_cell(release_text: str, implementations: list[list[str]], rng: random.Random, spelling: dict[str, str],
               habits) -> str:
    text = release_text
    for choices in implementations:
        body = _fill(_apply(rng.choice(choices), habits), rng, spelling)
        text = STUB.sub(lambda stub: _indent(body, stub.group(1)), text, count=1)
    return text


def _words(rng: random.Random) -> dict[str, str]:
    """A student's own choice of words: about half of the synonyms a writer may pick."""
    return {word: other for word, other in disguises.SYNONYMS.items() if rng.random() < 0.5}


def _answer(points: list[list[str]], rng: random.Random, habits, words: dict[str, str]) -> str:
    chosen = sorted(rng.sample(range(len(points)), rng.randint(2, min(4, len(points)))))
    if rng.random() < 0.3:
        rng.shuffle(chosen)
    answer = _apply(" ".join(_fill(rng.choice(points[i]), rng, {}) for i in chosen), habits)
    return re.sub(r"\w+", lambda m: words.get(m.group(), m.group()), answer)


def independent_cells(release: dict[str, tuple[str, str]], rng: random.Random, assignment: str = ASSIGNMENT) -> dict[str, str]:
    """grade_id -> text of each solution cell an independent student writes (optional tasks maybe not)."""
    pool = POOLS[assignment]
    spelling: dict[str, str] = {}
    code_habits, text_habits, words = _habits(CODE_HABITS, rng), _habits(TEXT_HABITS, rng), _words(rng)
    cells = {}
    for gid, (kind, text) in release.items():
        if kind == "code" and gid in pool.CODE and not (gid in pool.OPTIONAL and rng.random() < 0.3):
            cells[gid] = _code_cell(text, pool.CODE[gid], rng, spelling, code_habits)
        elif kind == "markdown" and gid in pool.ANSWERS:
            cells[gid] = _answer(pool.ANSWERS[gid], rng, text_habits, words)
    return cells


def disguised(source: dict[str, str], own: dict[str, str], disguise: str, release: dict[str, tuple[str, str]],
              rng: random.Random) -> dict[str, str]:
    """The cells of a copier: ``source`` copied with ``disguise`` where the disguise copies, else ``own``."""
    code = [gid for gid in source if release[gid][0] == "code"]
    cells = dict(own)
    if disguise in disguises.CODE_DISGUISES:
        cells.update({gid: disguises.CODE_DISGUISES[disguise](source[gid], rng) for gid in code})
    elif disguise == "partial":
        cells.update({gid: source[gid] for gid in rng.sample(code, max(1, round(len(code) / 3)))})
    elif disguise == "answers":
        cells.update({gid: disguises.reword(text, rng) for gid, text in source.items() if release[gid][0] == "markdown"})
    else:
        raise ValueError(f"unknown disguise {disguise!r}; known: {', '.join(DISGUISES)}")
    return cells


def notebook(release_nb: dict, cells: dict[str, str]) -> dict:
    """The release notebook with the student's solution cells filled in."""
    handed_in = copy.deepcopy(release_nb)
    for cell in handed_in["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in cells:
            cell["source"] = cells[gid]
    return handed_in


def release_solution_cells(release_nb: dict) -> dict[str, tuple[str, str]]:
    return {gid: (kind, text) for gid, kind, text in solution_cells(release_nb)}


def evaluation_class(release_nb: dict, students: int, copies_per_disguise: int, seed: int = 0,
                     disguise_kinds: tuple[str, ...] = DISGUISES,
                     assignment: str = ASSIGNMENT) -> tuple[dict[str, dict[str, str]], list[Planted]]:
    """``students`` students in all (planted copies included): id -> cells, and the planted pairs."""
    rng = random.Random(seed)
    release = release_solution_cells(release_nb)
    planted_count = copies_per_disguise * len(disguise_kinds)
    if planted_count * 2 > students:
        raise ValueError(f"{students} students cannot hold {planted_count} planted copies and their sources")
    ids = [f"s{number:04d}" for number in range(students)]
    rng.shuffle(ids)
    copiers, others = ids[:planted_count], ids[planted_count:]
    cells = {student: independent_cells(release, random.Random(f"{seed}/{student}"), assignment) for student in others}
    sources = rng.sample(others, planted_count)
    planted = []
    for index, (copier, source) in enumerate(zip(copiers, sources)):
        kind = disguise_kinds[index // copies_per_disguise]
        own = independent_cells(release, random.Random(f"{seed}/{copier}"), assignment)
        cells[copier] = disguised(cells[source], own, kind, release, random.Random(f"{seed}/{copier}/copy"))
        planted.append(Planted(source, copier, kind))
    return cells, planted


def write_class(folder: Path, release_nb: dict, students: dict[str, dict[str, str]], assignment: str = ASSIGNMENT) -> None:
    """Write each student's notebook as ``folder/<student>/<assignment>/<assignment>.ipynb``."""
    for student, cells in students.items():
        target = folder / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{assignment}.ipynb").write_text(json.dumps(notebook(release_nb, cells), indent=1), encoding="utf-8")
