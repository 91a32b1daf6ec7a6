"""Benchmark of `mllab similarity` on generated classes (make bench-similarity).

A class of loss_and_metric students (mllab/similarity/evaluation.py): independent students, each
function drawn from several different implementations, plus planted copies, ``--copies`` per
disguise. Prints, per disguise, how many planted pairs rank above every pair of independent students
(recall at the top) and where the lowest one ranks; the precision among the top 20 pairs; the time
for the whole class, and how it grows with the class (n = 50 … 300). Nothing runs a notebook.

``--compare-engines FOLDER`` also scores the same class, code only, with copydetect as shipped (its
own tokenizer, its pairwise comparison, the release as boilerplate) and with Dolos (a folder where
`npm install @dodona/dolos-lib @dodona/dolos-parsers` was run), for choosing the engine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mllab.similarity.analysis import analyse  # noqa: E402
from mllab.similarity.evaluation import ASSIGNMENT, POOLS, Planted, evaluation_class, write_class  # noqa: E402
from mllab.similarity.sources import read_folder, solution_cells  # noqa: E402

TOP = 20


def release_notebook(assignment: str = ASSIGNMENT) -> dict:
    return json.loads((REPO / "release" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))


def make_class(folder: Path, students: int, copies: int, seed: int, assignment: str = ASSIGNMENT) -> list[Planted]:
    release = release_notebook(assignment)
    cells, planted = evaluation_class(release, students, copies, seed=seed, assignment=assignment)
    write_class(folder, release, cells, assignment)
    return planted


def ours(folder: Path, assignment: str = ASSIGNMENT) -> tuple[dict[frozenset, float], float]:
    """Pair -> score from `mllab similarity`'s own analysis, and the seconds it took (reading included)."""
    release = release_notebook(assignment)
    start = time.perf_counter()
    sources = read_folder(folder, assignment, release)
    scores = analyse(sources).scores
    elapsed = time.perf_counter() - start
    names = [s.student for s in sources]
    return {frozenset((names[i], names[j])): float(s) for i, j, s in zip(scores.first, scores.second, scores.score)}, elapsed


def evaluate(scores: dict[frozenset, float], planted: list[Planted], students: int, left_out: tuple[str, ...] = ()) -> dict:
    """Per disguise: planted pairs above every independent pair, and the worst rank (as a share of all pairs).
    Planted pairs of a ``left_out`` disguise count neither as planted nor as independent."""
    ignored = {frozenset((p.source, p.copy)) for p in planted if p.disguise in left_out}
    scores = {pair: s for pair, s in scores.items() if pair not in ignored}
    planted_pairs = {frozenset((p.source, p.copy)): p.disguise for p in planted if p.disguise not in left_out}
    independent = [s for pair, s in scores.items() if pair not in planted_pairs]
    highest = max(independent, default=0.0)
    ranked = sorted(scores.values(), reverse=True)
    total = students * (students - 1) // 2
    found: dict[str, list] = defaultdict(list)
    for pair, disguise in planted_pairs.items():
        score = scores.get(pair, 0.0)
        rank = 1 + int(np.searchsorted(-np.array(ranked), -score, side="left"))
        found[disguise].append((score > highest, rank / total))
    top = sorted(scores, key=scores.get, reverse=True)[:TOP]
    return {"per_disguise": found, "precision": sum(pair in planted_pairs for pair in top) / TOP,
            "highest_independent": highest}


def merged(results: list[dict]) -> dict:
    """Several classes' results as one: planted pairs pooled, the highest independent pair and mean precision."""
    pooled: dict[str, list] = defaultdict(list)
    for result in results:
        for disguise, hits in result["per_disguise"].items():
            pooled[disguise] += hits
    return {"per_disguise": pooled, "precision": float(np.mean([r["precision"] for r in results])),
            "highest_independent": max(r["highest_independent"] for r in results)}


def report(title: str, result: dict) -> None:
    print(f"\n{title}: highest independent pair {result['highest_independent']:.3f}; "
          f"precision among the top {TOP}: {result['precision']:.2f} (mean over the classes)")
    print(f"  {'disguise':<13} {'above every independent pair':>30} {'in the top 5 %':>15} {'lowest rank (share of pairs)':>30}")
    for disguise, hits in result["per_disguise"].items():
        above, top = sum(flag for flag, _ in hits), sum(rank <= 0.05 for _, rank in hits)
        print(f"  {disguise:<13} {f'{above} of {len(hits)}':>30} {f'{top} of {len(hits)}':>15} "
              f"{f'{100 * max(r for _, r in hits):.2f} %':>30}")


def growth(sizes: list[int], copies: int, seed: int) -> None:
    print("\nTime with the class size (reading the notebooks, fingerprints, scores):")
    print(f"  {'students':>8} {'pairs':>8} {'seconds':>8} {'µs per pair':>12}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            make_class(Path(tmp), n, max(1, min(copies, n // 40)), seed)
            _, elapsed = ours(Path(tmp))
        pairs = n * (n - 1) // 2
        print(f"  {n:>8} {pairs:>8} {elapsed:>8.2f} {1e6 * elapsed / pairs:>12.1f}")


# ---------------------------------------------------------------- the engines as shipped, for the choice

def code_files(folder: Path, target: Path) -> tuple[list[Path], Path]:
    """One .py file per student (their code solution cells, whole) and the release's as the template."""
    release = release_notebook()
    template = "\n\n".join(text for _, kind, text in solution_cells(release) if kind == "code")
    (target / "template.py").write_text(template, encoding="utf-8")
    files = []
    for student in sorted(p.name for p in folder.iterdir()):
        notebook = json.loads((folder / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))
        code = "\n\n".join(text for _, kind, text in solution_cells(notebook) if kind == "code")
        path = target / "students" / f"{student}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(code, encoding="utf-8")
        files.append(path)
    return files, target / "template.py"


def copydetect_scores(files: list[Path], template: Path) -> tuple[dict[frozenset, float], float]:
    from copydetect import CodeFingerprint, compare_files
    start = time.perf_counter()
    boilerplate = np.array(sorted(CodeFingerprint(str(template), 25, 1).hashes))
    prints = [CodeFingerprint(str(f), 25, 6, boilerplate=boilerplate) for f in files]
    scores = {}
    for i in range(len(files)):
        for j in range(i + 1, len(files)):
            _, (first, second), _ = compare_files(prints[i], prints[j])
            scores[frozenset((files[i].stem, files[j].stem))] = max(first, second)
    return scores, time.perf_counter() - start


DOLOS_SCRIPT = """
import { Dolos } from "@dodona/dolos-lib";
import { readFileSync } from "node:fs";
const { files, template } = JSON.parse(readFileSync(0, "utf-8"));
const dolos = new Dolos({ language: "python" });
const report = await dolos.analyzePaths(files, template);
const pairs = report.allPairs().map(p => [p.leftFile.path, p.rightFile.path, p.similarity]);
process.stdout.write(JSON.stringify(pairs));
"""


def dolos_scores(files: list[Path], template: Path, dolos_dir: Path) -> tuple[dict[frozenset, float], float]:
    script = dolos_dir / "mllab-bench-dolos.mjs"
    script.write_text(DOLOS_SCRIPT, encoding="utf-8")
    start = time.perf_counter()
    done = subprocess.run(["node", str(script)], input=json.dumps({"files": [str(f) for f in files],
                                                                   "template": str(template)}),
                          capture_output=True, text=True, check=True, cwd=dolos_dir)
    elapsed = time.perf_counter() - start
    return {frozenset((Path(a).stem, Path(b).stem)): float(s) for a, b, s in json.loads(done.stdout)}, elapsed


def compare_engines(dolos_dir: Path, students: int, copies: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submitted"
        planted = make_class(folder, students, copies, seed)
        files, template = code_files(folder, Path(tmp))
        for title, (scores, elapsed) in (
                ("mllab similarity (code and answers; the copied answers left out)", ours(folder)),
                ("copydetect 0.5.0 as shipped (code only)", copydetect_scores(files, template)),
                ("Dolos (dolos-lib 3.5.1, code only)", dolos_scores(files, template, dolos_dir))):
            report(f"{title}, {students} students, {elapsed:.1f} s",
                   evaluate(scores, planted, students, left_out=("answers",)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--assignment", default=ASSIGNMENT, choices=sorted(POOLS),
                        help="the assignment whose generated classes are scored (the time table and the engines: "
                             f"{ASSIGNMENT})")
    parser.add_argument("--copies", type=int, default=3, help="planted copies per disguise")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classes", type=int, default=1, help="generated classes (seeds seed, seed+1, …), results summed")
    parser.add_argument("--growth", default="50,100,200,300", help="class sizes for the time table")
    parser.add_argument("--compare-engines", type=Path, metavar="DOLOS_FOLDER",
                        help="also score a class with copydetect as shipped and with Dolos installed in this folder")
    parser.add_argument("--engine-students", type=int, default=150)
    args = parser.parse_args()
    results, times = [], []
    for seed in range(args.seed, args.seed + args.classes):
        with tempfile.TemporaryDirectory() as tmp:
            planted = make_class(Path(tmp), args.students, args.copies, seed, args.assignment)
            scores, elapsed = ours(Path(tmp), args.assignment)
        results.append(evaluate(scores, planted, args.students))
        times.append(elapsed)
    report(f"mllab similarity, {args.assignment}, {args.classes} class(es) of {args.students} students ({len(planted)} planted copies "
           f"each), {max(times):.1f} s at most", merged(results))
    growth([int(n) for n in args.growth.split(",")], args.copies, args.seed)
    if args.compare_engines:
        compare_engines(args.compare_engines, args.engine_students, args.copies, args.seed)


if __name__ == "__main__":
    main()
