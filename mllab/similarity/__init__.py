"""`mllab similarity`: pairs of students whose solution cells are alike. A reason to look, never a grade.

Engine: copydetect (PyPI), chosen over Dolos on a generated class of 300 (bench/bench_similarity.py
--compare-engines; figures in docs/figures.md). Both engines as shipped find renamed, reformatted,
reordered and recommented copies, but both score honest students high (0.80 and 0.74 for the most
alike independent pair, against 0.19 here), because neither keeps the library calls that tell two correct solutions of
this course apart: copydetect's tokenizer turns every name into ``V`` and Dolos keeps only the
tree-sitter node types (``.mean()`` and ``.sum()`` are both ``identifier``). Neither knows cells, nor
weighs a passage by how many students share it; Dolos can only drop passages above a share. Dolos also
needs node and 455 MB of tree-sitter grammars compiled at install (two minutes here); copydetect is a
pure-Python wheel. So the project keeps copydetect's robust winnowing
and adds what a notebook course needs: tokens that keep the library calls (:mod:`.tokens`), stable
k-gram hashes (:mod:`.fingerprints`), the release's lines left out (:mod:`.sources`), and fingerprints
weighted by how many students share them, cell by cell, a cell copied with its own names counting
more than the same code renamed (:mod:`.scoring`).

Modules: sources (what is read), tokens, fingerprints, scoring, passages (what is highlighted),
analysis (pairs), page and report (the HTML page and the CSV); evaluation, eval_solutions and
disguises make the generated classes of the benchmark and the tests.
"""
