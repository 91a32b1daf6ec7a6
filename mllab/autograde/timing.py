"""Where a worker's time goes, per student: for the benchmark's split of busy time.

The worker clears :data:`SPENT` before each student; the parts that run inside nbgrader (the
notebook's execution, the judge) add their seconds with :func:`measure`.
"""

from __future__ import annotations

import contextlib
import time

SPENT: dict[str, float] = {}


@contextlib.contextmanager
def measure(part: str):
    """Add the seconds the ``with`` block takes to ``SPENT[part]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        SPENT[part] = SPENT.get(part, 0.0) + time.perf_counter() - start
