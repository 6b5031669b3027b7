"""Discovery in databases: every table reflected, a sample of its rows streamed, each column read as text."""

from __future__ import annotations

from collections.abc import Iterator

from piguard.detect.engine import Detector, mask_value
from piguard.detect.inventory import Progress, TableFinding, cell_text, detector_or_default
from piguard.errors import StorageError

__all__ = ["scan_database"]


def scan_database(
    url: str,
    *,
    sample_rows: int | None = 10_000,
    detector: Detector | None = None,
    progress: Progress | None = None,
) -> Iterator[TableFinding]:
    """Yield the PI found in every table of a database, reflecting its schema.

    Rows are streamed (``yield_per``), at most ``sample_rows`` per table (all
    rows when None). Every column is read as text, so phone numbers stored as
    integers are found too.

    :param url: a SQLAlchemy URL, e.g. ``sqlite:///crm.db``.
    :param progress: called with 1 per row read.
    :raises StorageError: if the database cannot be reached or read (the reason
        names the driver error type, not the URL, which may hold a password).
    """
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    det = detector_or_default(detector)
    try:
        engine = sa.create_engine(url)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise StorageError(f"cannot use database URL ({type(exc).__name__})") from None
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                query = sa.select(*table.columns)
                if sample_rows is not None:
                    query = query.limit(sample_rows)
                names = [c.name for c in table.columns]
                result = conn.execution_options(yield_per=500).execute(query)
                for number, row in enumerate(result, start=1):
                    if progress is not None:
                        progress(1)
                    for column, value in zip(names, row, strict=True):
                        if value is None or isinstance(value, bytes | bool):
                            continue
                        text = cell_text(value)
                        for f in det.detect(text):
                            yield TableFinding(
                                table.name,
                                column,
                                number,
                                f.start,
                                f.end,
                                f.type,
                                f.score,
                                mask_value(f.type, text[f.start : f.end]),
                            )
    except SQLAlchemyError as exc:
        raise StorageError(f"database scan failed ({type(exc).__name__})") from None
    finally:
        engine.dispose()
