"""The report's plots, drawn with Matplotlib's Agg backend and embedded as base64 PNG.

Each function returns the PNG's base64 text; the page gives every image a text alternative that
states what it shows, and the same figures are in a table or a CSV file next to it.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections.abc import Sequence

HEATMAP_LABELLED_ROWS = 60  # above this many students the rows carry no labels (the CSV has them)


def _figure(width: float, height: float, dpi: int = 100):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def _png(figure) -> str:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_histogram(scores: Sequence[float], top: float) -> str:
    """A histogram of the total scores with the mean and median marked."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(9, 3.4, dpi=110)
    axes = figure.add_subplot()
    width = 5 if top <= 200 else top / 40
    axes.hist(scores, bins=[i * width for i in range(int(top // width) + 2)], color="#4c9aff", edgecolor="white")
    if scores:
        mean, median = statistics.mean(scores), statistics.median(scores)
        axes.axvline(mean, color="#d64545", linestyle="--", label=f"mean {mean:.1f}")
        axes.axvline(median, color="#3f9142", linestyle=":", linewidth=2, label=f"median {median:g}")
        axes.legend(frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    axes.set(xlim=(0, top + width), xlabel=f"total score (of {top:g} points)", ylabel="students")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def mistakes_bar_chart(labels: Sequence[str], counts: Sequence[int], students: int) -> str:
    """Horizontal bars: how many students made each named mistake (the most frequent on top)."""
    from matplotlib.ticker import MaxNLocator

    figure = _figure(9, 0.8 + 0.32 * max(len(labels), 1))
    axes = figure.add_subplot()
    positions = range(len(labels))
    axes.barh(list(positions), list(counts), color="#d64545")
    axes.set_yticks(list(positions), list(labels), fontsize=8, family="monospace")
    axes.invert_yaxis()
    axes.set(xlabel=f"students (of {students} with a score)", xlim=(0, max([*counts, 1]) * 1.1))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def heat_map(rows: Sequence[str], columns: Sequence[str], shares: Sequence[Sequence[float]]) -> str:
    """Students (rows) × test cells (columns), coloured by the share of the cell's points earned."""
    figure = _figure(min(2 + 0.42 * len(columns), 14), min(1.8 + 0.16 * len(rows), 30), dpi=80)
    axes = figure.add_subplot()
    image = axes.imshow(shares or [[0.0] * len(columns)], aspect="auto", cmap="RdYlGn", vmin=0, vmax=1,
                        interpolation="nearest")
    axes.set_xticks(range(len(columns)), list(columns), rotation=60, ha="right", fontsize=7)
    if len(rows) <= HEATMAP_LABELLED_ROWS:
        axes.set_yticks(range(len(rows)), list(rows), fontsize=7, family="monospace")
    else:
        axes.set_yticks([])
        axes.set_ylabel(f"{len(rows)} students, best total first")
    figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02, label="share of the cell's points")
    return _png(figure)
