"""Take in one student's submission folder: copy it into the workspace, repair the copy.

``prepare_submission(original, dest, release_notebook)`` copies every file of the student's
folder ``original`` (``submitted/<student>/<assignment>/``, with nbgrader's ``timestamp.txt``)
into the workspace folder ``dest`` and makes ``dest`` hold exactly one notebook, named as the
release notebook, that nbgrader can grade. It returns an :class:`Intake`.

The contract:

- The original folder is only read: no byte and no modification time of it ever changes.
- A normal submission is copied byte for byte, so it is graded exactly as plain nbgrader
  grades it (``notes`` empty, ``repaired`` False).
- Repairs happen on the copy only, each one named in ``notes``:
  a notebook with another name is renamed (among several, the one sharing the most grade
  ids with the release wins); extra notebooks are removed from the copy; nbformat 3 is
  converted to 4; cells that lost their nbgrader metadata get it back by matching them to
  the release notebook; of a cell pasted twice (the same grade id) only the last copy keeps
  its nbgrader metadata (what nbgrader's DeduplicateIds does, without the empty metadata
  that makes ``OverwriteCells.add_missing_cells`` crash); a deleted solution cell whose grade
  cell is deleted too gets an empty stand-in, without which ``add_missing_cells`` crashes.
- Things nbgrader repairs itself from the gradebook (a deleted or edited test cell, changed
  points) are only noted; the copy is left as it is.
- A submission that cannot be graded (no notebook, an empty file, invalid JSON, JSON that is
  not a notebook) gives ``notebook=None`` and a ``problem`` sentence for the instructor. So
  does any unexpected failure while reading or repairing: a bad notebook never raises.
  (A missing or unreadable *release* notebook is the course's fault and does raise.)
- Symbolic links and other non-regular files are left out of the copy (a link could point at
  the instructor's files and carry them into the student's feedback).
"""

from __future__ import annotations

import copy
import difflib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

RESTORED_KEYS = ("nbgrader", "deletable", "editable")  # cell metadata copied from the release


@dataclass(frozen=True)
class Intake:
    """The prepared copy of one submission."""

    notebook: Path | None  # the prepared notebook inside dest, named as the release; None if ungradable
    problem: str | None  # a clear sentence why it cannot be graded (then notebook is None), else None
    notes: tuple[str, ...] = ()  # what was repaired or noticed, one short sentence each
    changed: bool = False  # backs ``repaired``: the notebook was renamed or rewritten

    @property
    def repaired(self) -> bool:
        """True when the copy's notebook differs from the student's notebook (content or name)."""
        return self.changed


def prepare_submission(original: Path, dest: Path, release_notebook: Path) -> Intake:
    """Copy the folder ``original`` to ``dest`` and repair the copy; see the module docstring."""
    original, dest, release_notebook = Path(original), Path(dest), Path(release_notebook)
    release = nbformat.read(release_notebook, as_version=4)
    try:
        return _prepare(original, dest, release_notebook.name, release)
    except Exception as error:  # noqa: BLE001 - a bad submission must never stop the class
        return Intake(None, f"the submission could not be taken in: {type(error).__name__}: {error}")


def _prepare(original: Path, dest: Path, expected: str, release) -> Intake:
    if not original.is_dir():
        return Intake(None, f"the submission folder {original} does not exist")
    notes = _copy_folder(original, dest)
    path, nb, problem, picked = _pick_notebook(dest, expected, release)
    notes += picked
    if problem:
        return Intake(None, problem, tuple(notes))
    fixes = _repair(nb, release, _raw_version(path))
    if fixes:
        nbformat.write(nb, path)
    notes += fixes + _restored_by_nbgrader_notes(nb, release)
    renamed = path.name != expected
    if renamed:
        path = path.rename(dest / expected)
    return Intake(path, None, tuple(notes), changed=bool(fixes) or renamed)


# -- the copy ----------------------------------------------------------------------------------

def _copy_folder(original: Path, dest: Path) -> list[str]:
    """Copy the regular files and folders of ``original`` into a fresh ``dest``; links stay out."""
    source, target = original.resolve(), dest.resolve()
    if source == target or source in target.parents or target in source.parents:
        raise ValueError(f"the workspace folder {dest} overlaps the submission folder {original}")
    if dest.exists():
        shutil.rmtree(dest)
    left_out: list[str] = []

    def ignore(folder: str, names: list[str]) -> list[str]:
        skipped = [n for n in names if _not_plain(Path(folder) / n)]
        left_out.extend(os.path.relpath(Path(folder) / n, original) for n in skipped)
        return skipped

    shutil.copytree(original, dest, ignore=ignore)
    return [f"left out {name}: links and special files are not copied" for name in sorted(left_out)]


def _not_plain(path: Path) -> bool:
    return path.is_symlink() or not (path.is_file() or path.is_dir())


# -- which notebook ----------------------------------------------------------------------------

def _pick_notebook(dest: Path, expected: str, release):
    """(path, notebook, problem, notes): the notebook to grade; every other notebook is removed."""
    paths = sorted(p for p in dest.glob("*.ipynb") if p.is_file())
    if not paths:
        return None, None, f"no notebook (.ipynb file) in the submission folder; expected {expected}", []
    read = {p: _read(p) for p in paths}
    chosen = _choose(dest / expected, paths, read, release)
    nb, problem = read[chosen]
    if problem:
        return chosen, None, problem, []
    notes = _pick_notes(chosen, expected, [p for p in paths if p != chosen], read)
    for other in paths:
        if other != chosen:
            other.unlink()
    return chosen, nb, None, notes


def _choose(target: Path, paths: list[Path], read: dict, release) -> Path:
    """The expected notebook if it is readable; else the readable one most like the release
    (instead of a damaged expected one only if it shares grade ids with the release)."""
    if target in read and read[target][0] is not None:
        return target
    readable = [p for p in paths if read[p][0] is not None]
    best = _best_match(readable, read, release) if readable else None
    if best is not None and (target not in read or set(_grade_ids(read[best][0])) & set(_grade_ids(release))):
        return best
    return target if target in read else paths[0]


def _best_match(paths: list[Path], read: dict, release) -> Path:
    """The notebook sharing the most grade ids with the release, then the most of its cells
    (by grade id or unchanged), then the newest (two versions of the assignment tie before)."""
    wanted = set(_grade_ids(release))
    release_keys = {_key(c) for c in release.cells}

    def likeness(path: Path) -> tuple[int, int, int]:
        cells = read[path][0].cells
        shared = sum(_grade_id(c) in wanted or _key(c) in release_keys for c in cells)
        return len(wanted & {_grade_id(c) for c in cells}), shared, path.stat().st_mtime_ns

    return max(paths, key=likeness)  # of equals, the first by name


def _pick_notes(chosen: Path, expected: str, others: list[Path], read: dict) -> list[str]:
    notes = []
    if chosen.name != expected:
        notes.append(f"renamed {chosen.name} to {expected} (the notebook had another name)")
    for other in others:
        if read[other][0] is None:
            why = "it is not a readable notebook"
        elif chosen.name != expected:
            why = f"{chosen.name} is more like the release, or newer"
        else:
            why = "nbgrader skips notebooks it does not know"
        notes.append(f"removed the extra notebook {other.name} from the copy ({why})")
    return notes


# -- reading -----------------------------------------------------------------------------------

def _read(path: Path):
    """(notebook as nbformat 4, None), or (None, a sentence saying why it cannot be graded)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"{path.name} is not UTF-8 text ({error.reason} at byte {error.start}): " \
                     "the file is damaged; ask the student to re-upload it"
    if not text.strip():
        return None, f"{path.name} is empty ({len(text)} bytes): ask the student to save the notebook " \
                     "and hand it in again"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"{path.name} is not valid JSON (line {error.lineno}, column {error.colno}: " \
                     f"{error.msg}): the file is damaged; ask the student to re-upload it"
    problem = _not_a_notebook(raw)
    if problem:
        return None, f"{path.name} is valid JSON but not a Jupyter notebook ({problem})"
    try:
        return nbformat.reads(text, as_version=4), None
    except Exception as error:  # noqa: BLE001 - any reader failure means a damaged notebook
        return None, f"{path.name} could not be read as a notebook ({type(error).__name__}: {error})"


def _not_a_notebook(raw) -> str | None:
    """Why the parsed JSON is not a notebook, or None."""
    if not isinstance(raw, dict):
        return f"it holds a JSON {type(raw).__name__}, not an object with cells"
    sheets = raw.get("worksheets")  # nbformat 3 keeps its cells in worksheets
    first = sheets[0] if isinstance(sheets, list) and sheets and isinstance(sheets[0], dict) else {}
    cells = raw.get("cells", first.get("cells"))
    if not isinstance(cells, list) or not all(isinstance(c, dict) and "cell_type" in c for c in cells):
        return "it has no list of cells"
    if raw.get("nbformat") not in (3, 4):
        return f"its nbformat is {raw.get('nbformat')!r}, not 3 or 4"
    return None


def _raw_version(path: Path) -> int:
    return json.loads(path.read_bytes()).get("nbformat", 4)


# -- repairs (on the copy) ---------------------------------------------------------------------

def _repair(nb, release, raw_version: int) -> list[str]:
    """Repair ``nb`` in place; return one note per repair (no notes: the file stays as it is)."""
    notes = []
    if raw_version < 4:
        notes.append(f"converted from nbformat {raw_version} to nbformat 4")
    notes += _restore_metadata(nb, release)
    notes += _deduplicate(nb)
    notes += _keep_anchors_for_missing_cells(nb, release)
    return notes


def _grade_id(cell) -> str | None:
    nbgrader = cell.get("metadata", {}).get("nbgrader")
    return nbgrader.get("grade_id") or None if isinstance(nbgrader, dict) else None


def _grade_ids(nb) -> list[str]:
    return [g for g in map(_grade_id, nb.cells) if g]


def _key(cell) -> tuple[str, str]:
    return cell.cell_type, cell.source.strip()


def _restore_metadata(nb, release) -> list[str]:
    """Give cells that lost their nbgrader metadata the release's, by matching cells."""
    present = set(_grade_ids(nb))
    wanted = [r for r, cell in enumerate(release.cells) if _grade_id(cell) and _grade_id(cell) not in present]
    if not wanted:
        return []
    pairs = _match_cells(release.cells, nb.cells, wanted)
    for r, s in pairs.items():
        for key in RESTORED_KEYS:
            if key in release.cells[r].metadata:
                nb.cells[s].metadata[key] = copy.deepcopy(release.cells[r].metadata[key])
    if not pairs:
        return []
    return [f"restored nbgrader metadata on {len(pairs)} of {len(wanted)} nbgrader cells by matching the release"]


def _match_cells(release_cells, cells, wanted: list[int]) -> dict[int, int]:
    """Release index -> submission index for the ``wanted`` release cells, among cells without
    nbgrader metadata: unchanged cells first, then within the gap between unchanged neighbours."""
    anchors = _anchors(release_cells, cells)
    free = {s for s, cell in enumerate(cells) if not _grade_id(cell)}
    pairs = {r: anchors[r] for r in wanted if anchors.get(r) in free}
    gaps: dict[tuple[int, int], list[int]] = {}
    for r in wanted:
        if r not in pairs:
            gaps.setdefault(_gap(anchors, r, len(cells)), []).append(r)
    for (start, stop), rs in gaps.items():
        for cell_type in {release_cells[r].cell_type for r in rs}:
            mine = [r for r in rs if release_cells[r].cell_type == cell_type]
            theirs = [s for s in range(start, stop) if s in free and cells[s].cell_type == cell_type]
            pairs.update(_pair_in_gap(release_cells, cells, mine, theirs))
    return pairs


def _anchors(release_cells, cells) -> dict[int, int]:
    """Release index -> submission index of the cells both have unchanged (in order)."""
    matcher = difflib.SequenceMatcher(None, [_key(c) for c in release_cells], [_key(c) for c in cells],
                                      autojunk=False)
    return {block.a + k: block.b + k for block in matcher.get_matching_blocks() for k in range(block.size)}


def _gap(anchors: dict[int, int], r: int, total: int) -> tuple[int, int]:
    """The submission index range strictly between the anchors around release cell ``r``."""
    before = max((s for a, s in anchors.items() if a < r), default=-1)
    after = min((s for a, s in anchors.items() if a > r), default=total)
    return before + 1, after


def _pair_in_gap(release_cells, cells, mine: list[int], theirs: list[int]) -> dict[int, int]:
    """Pair release cells with submission cells of one gap: in order if the counts agree,
    otherwise each release cell with the most similar submission cell left."""
    if len(mine) == len(theirs):
        return dict(zip(mine, theirs))
    pairs, left = {}, list(theirs)
    for r in mine:
        if not left:
            break
        best = max(left, key=lambda s: difflib.SequenceMatcher(
            None, release_cells[r].source, cells[s].source, autojunk=False).ratio())
        pairs[r] = best
        left.remove(best)
    return pairs


def _deduplicate(nb) -> list[str]:
    """Of a grade id that appears more than once, only the last cell keeps its nbgrader metadata.

    That is what nbgrader's DeduplicateIds does, but it leaves ``"nbgrader": {}`` on the earlier
    cells, and ``OverwriteCells.add_missing_cells`` (on in this course) then fails with
    ``KeyError: 'grade_id'``; removing the key instead lets nbgrader grade the notebook."""
    ids = _grade_ids(nb)
    twice = sorted({g for g in ids if ids.count(g) > 1})
    seen: set[str] = set()
    for cell in reversed(nb.cells):
        grade_id = _grade_id(cell)
        if grade_id and grade_id in seen:
            del cell.metadata["nbgrader"]
        seen.add(grade_id)
    return [f"cell {g} appears {ids.count(g)} times: all copies run; as nbgrader's DeduplicateIds does, "
            "only the last copy keeps its nbgrader metadata (removed from the others)" for g in twice]


def _keep_anchors_for_missing_cells(nb, release) -> list[str]:
    """Put an empty cell with the release's metadata where a deleted solution cell was, when the
    grade cell after it is missing too.

    ``OverwriteCells.add_missing_cells`` puts a missing grade cell back right after the cell of
    the grade id before it in the source, and stops with ``KeyError`` when that is a solution
    cell that is missing as well (so the whole notebook would go ungraded). The empty cell runs
    without defining anything, so it cannot change what the student's code does."""
    present = set(_grade_ids(nb))
    graded = [r for r, c in enumerate(release.cells) if _grade_id(c)]
    notes = []
    for r, after in zip(graded, graded[1:]):
        before, cell = release.cells[r], release.cells[after]
        lost = _grade_id(before) not in present and _grade_id(cell) not in present
        if lost and _is_graded(cell) and _is_solution_only(before):
            start, _ = _gap(_anchors(release.cells, nb.cells), r, len(nb.cells))
            nb.cells.insert(start, _empty_like(before, nb))
            present.add(_grade_id(before))
            notes.append(f"solution cell {_grade_id(before)} was deleted together with the grade cell after it; "
                         "put an empty cell with its metadata back so that nbgrader can restore the grade cell")
    return notes


def _is_graded(cell) -> bool:
    return bool(cell.metadata["nbgrader"].get("grade"))


def _is_solution_only(cell) -> bool:
    meta = cell.metadata["nbgrader"]
    return bool(meta.get("solution")) and not meta.get("grade")


def _empty_like(released, nb):
    make = nbformat.v4.new_code_cell if released.cell_type == "code" else nbformat.v4.new_markdown_cell
    cell = make(source="", metadata={k: copy.deepcopy(released.metadata[k])
                                     for k in RESTORED_KEYS if k in released.metadata})
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        cell.pop("id", None)  # cell ids exist from nbformat 4.5 on
    return cell


# -- what nbgrader restores by itself (noted, not changed) -------------------------------------

def _restored_by_nbgrader_notes(nb, release) -> list[str]:
    """Deleted or edited locked cells and changed points, compared with the release by grade id."""
    submitted = {}
    for cell in nb.cells:
        submitted.setdefault(_grade_id(cell), cell)  # the graded copy has the metadata
    notes = []
    for cell in release.cells:
        if _grade_id(cell):
            notes += _cell_notes(cell, submitted.get(_grade_id(cell)))
    return notes


def _cell_notes(released, mine) -> list[str]:
    meta = released.metadata["nbgrader"]
    grade_id, test = meta["grade_id"], meta.get("grade") and not meta.get("solution")
    kind = "test cell" if test else "answer cell" if meta.get("grade") else \
        "solution cell" if meta.get("solution") else "locked cell"
    if mine is None:
        return [f"{kind} {grade_id} was deleted; " + DELETED[kind]]
    notes = []
    if (test or kind == "locked cell") and mine.source != released.source:
        notes.append(f"{kind} {grade_id} was edited; nbgrader restores it from the source")
    points = mine.metadata["nbgrader"].get("points")
    if meta.get("grade") and _float(points) != _float(meta.get("points")):
        notes.append(f"the points of {kind} {grade_id} were changed to {points!r}; "
                     "nbgrader restores them from the source")
    return notes


DELETED = {
    "test cell": "nbgrader restores it from the source",
    "answer cell": "nbgrader adds it back as released (unanswered)",
    "solution cell": "nbgrader does not restore it, so the tests that use it fail",
    "locked cell": "nbgrader does not restore it",
}


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
