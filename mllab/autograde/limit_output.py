"""An nbgrader preprocessor that caps the size of each cell's outputs.

nbgrader's LimitOutput counts lines: one ``print("x" * 50_000_000)`` is a single line and passes,
so the autograded notebook and the feedback page would carry 50 MB. This caps the characters of
every text output and drops oversized rich outputs, saying so in the cell.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

MARK = "\n... output truncated by the autograder: {dropped:,} more characters not shown ...\n"


SLACK = 200  # room for the note itself: cutting again (nbgrader's recording pass) changes nothing


def _cut(text: str, limit: int) -> tuple[str, int]:
    if len(text) <= limit + SLACK:
        return text, 0
    return text[:limit] + MARK.format(dropped=len(text) - limit), len(text) - limit


def _as_text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class LimitOutputSize(NbGraderPreprocessor):
    """Cap text output per cell, and each rich output (figure, HTML), keeping a note of the cut."""

    max_chars = Integer(100_000, help="characters of text output kept per cell (-1: no limit)").tag(config=True)
    max_rich_chars = Integer(3_000_000, help="largest rich output (figure, HTML) kept (-1: no limit)").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources, index: int):
        if cell.cell_type == "code" and self.max_chars >= 0:
            budget = self.max_chars
            for output in cell.get("outputs", []):
                budget = self._limit(output, budget)
        return cell, resources

    def _limit(self, output: NotebookNode, budget: int) -> int:
        """Cut one output to what is left of the cell's text budget; return the budget left."""
        if output.output_type == "stream":
            output.text, _ = _cut(_as_text(output.text), max(budget, 0))
            return budget - len(output.text)
        if output.output_type == "error":
            output.evalue, _ = _cut(str(output.evalue), max(budget, 1000))
            output.traceback = [_cut(line, 10_000)[0] for line in output.traceback]
            return budget - len(output.evalue)
        self._limit_rich(output)
        text = _as_text(output.get("data", {}).get("text/plain", ""))
        if text:
            output.data["text/plain"], _ = _cut(text, max(budget, 0))
        return budget - len(text)

    def _limit_rich(self, output: NotebookNode) -> None:
        data = output.get("data", {})
        for mime in [m for m in data if m != "text/plain"]:
            size = len(_as_text(data[mime]))
            if 0 <= self.max_rich_chars < size:
                del data[mime]
                data["text/plain"] = MARK.format(dropped=size).strip() + f" (a {mime} output)"
