"""Rows of a platform export on disk, CSV or Parquet by the file's extension, streamed (a day does not have to fit
in memory): the header's names and ``(where, values)`` per row, where = the CSV line a row starts on (the header
is line 1) or the Parquet row number (from 1). What the values mean is ``source_import``'s business."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
BATCH_ROWS = 10_000  # Parquet rows decoded at a time


class SourceFileError(ValueError):
    """The file cannot be read as an export (missing, unknown extension, not CSV/Parquet, no header)."""


@dataclass
class Export:
    """An open export: its column names, how a row's position is named, and its rows."""

    path: Path
    names: list[str]
    unit: str  # "line" (CSV) or "row" (Parquet)
    rows: Iterator[tuple[int, Sequence[Any]]]


def file_format(path: str | Path) -> str:
    """``csv`` or ``parquet``, from the extension; SourceFileError for any other or a missing file."""
    p = Path(path)
    kind = FORMATS.get(p.suffix.lower())
    if kind is None:
        raise SourceFileError(f"{p}: unknown file type {p.suffix or '(none)'!r}: use .csv or .parquet")
    if not p.is_file():
        raise SourceFileError(f"{p}: no such file")
    return kind


@contextmanager
def open_export(path: str | Path) -> Iterator[Export]:
    """The export at ``path``, open for one pass over its rows."""
    p = Path(path)
    if file_format(p) == "csv":
        with p.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            try:
                names = next(reader)
            except StopIteration:
                raise SourceFileError(f"{p}: empty file (no header)") from None
            except (csv.Error, UnicodeDecodeError) as exc:
                raise SourceFileError(f"{p}: not a CSV file ({exc})") from None
            yield Export(p, [n.strip() for n in names], "line", _csv_rows(p, reader))
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(p)
    except (pa.ArrowException, OSError) as exc:
        raise SourceFileError(f"{p}: not a Parquet file ({exc})") from None
    try:
        yield Export(p, list(pf.schema_arrow.names), "row", _parquet_rows(pf))
    finally:
        pf.close()


def _csv_rows(path: Path, reader) -> Iterator[tuple[int, list[str]]]:
    start = reader.line_num + 1  # the line a record starts on (a quoted field may span lines)
    try:
        for values in reader:
            if values:  # a blank line is no row
                yield start, values
            start = reader.line_num + 1
    except (csv.Error, UnicodeDecodeError) as exc:
        raise SourceFileError(f"{path}: unreadable CSV at line {start} ({exc})") from None


def _parquet_rows(pf) -> Iterator[tuple[int, list[Any]]]:
    n = 0
    for batch in pf.iter_batches(batch_size=BATCH_ROWS):
        columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
        for values in zip(*columns, strict=True):
            n += 1
            yield n, list(values)
