"""The workers' private gradebook: the assignment definitions copied out of the course's gradebook.

Workers run nbgrader's Autograde on a SQLite gradebook of their own. The coordinator makes it once
per run from the course's gradebook, whatever database that is (SQLite, PostgreSQL): the course,
the assignments, their notebooks and cells, and no student's data. So a worker needs no database
credentials and never sees another student's grades.
"""

from __future__ import annotations

from pathlib import Path

STUDENT_DATA = {"student", "submitted_assignment", "submitted_notebook", "comment", "grade"}


def snapshot_gradebook(db_url: str, destination: Path) -> Path:
    """Write the definitions in the gradebook at ``db_url`` to a new SQLite file ``destination``."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, insert, select

    destination.unlink(missing_ok=True)
    source, target = create_engine(db_url), create_engine(f"sqlite:///{destination}")
    try:
        Base.metadata.create_all(bind=target)
        with source.connect() as read, target.begin() as write:
            for table in Base.metadata.sorted_tables:
                rows = [] if table.name in STUDENT_DATA else [dict(r) for r in read.execute(select(table)).mappings()]
                if rows:
                    write.execute(insert(table), rows)
    finally:
        source.dispose()
        target.dispose()
    return destination
