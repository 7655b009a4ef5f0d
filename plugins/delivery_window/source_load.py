"""``delivery-window import``: a day exported from the platform (CSV or Parquet) into ``platform.*``, all or nothing.

Two passes over each file. The first checks every row against the source contract (``source_import``) and keeps
nothing but counts, so an export of any size is judged before anything is written. The second, only when every
file passed, streams the rows again through the same checks into COPY, in one transaction: the day's
``platform.delivery_attempts`` are replaced and the advisors upserted by ``advisor_id``. A row that no longer
passes (the file changed in between) rolls it all back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from delivery_window import store
from delivery_window.source_files import open_export
from delivery_window.source_import import TABLES, Checker, Verdict


class ExportChanged(RuntimeError):
    """A file that passed its check broke the contract when loaded (it changed in between)."""


@dataclass(frozen=True)
class Loaded:
    """What an import wrote."""

    attempts: int
    replaced: int  # the day's attempts there were before
    advisors_new: int = 0
    advisors_updated: int = 0


def platform_tables(conn) -> set[str]:
    """The tables an import writes that exist (``delivery_attempts``, ``advisors``)."""
    row = store.execute(conn, "select_platform_tables")[0]
    return {name for name, present in row.items() if present}


def _checker(table: str, names, unit: str, day: date, day_span: tuple) -> Checker:
    start, end = day_span
    return Checker(table, names, day=day, day_start=start, day_end=end, unit=unit)


def check_export(table: str, path: str | Path, day: date, day_span: tuple) -> Verdict:
    """The verdict on every row of the export at ``path`` for ``platform.<table>`` (nothing is kept)."""
    with open_export(path) as export:
        checker = _checker(table, export.names, export.unit, day, day_span)
        if not checker.verdict().column_problems:
            for where, values in export.rows:
                checker.check(where, values)
        return checker.verdict()


def _valid_rows(table: str, path: str | Path, day: date, day_span: tuple) -> Iterator[tuple]:
    with open_export(path) as export:
        checker = _checker(table, export.names, export.unit, day, day_span)
        if checker.verdict().column_problems:
            raise ExportChanged(f"{path}: {checker.verdict().text()}")
        for where, values in export.rows:
            row = checker.check(where, values)
            if row is None:
                raise ExportChanged(
                    f"{path}: {export.unit} {where} breaks the contract now: {checker.verdict().text()}"
                )
            yield row


def _copy(cur, target: str, rows: Iterator[tuple], table: str) -> int:
    from psycopg import sql

    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in TABLES[table])
    n = 0
    with cur.copy(
        sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(*target.split(".")), columns)
    ) as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load(conn, day: date, day_span: tuple, files: Mapping[str, str | Path]) -> Loaded:
    """Load checked exports (table -> path; ``delivery_attempts`` required) in one transaction of ``conn``."""
    counts: dict[str, Any] = {}
    with conn.transaction(), conn.cursor() as cur:
        store.execute(conn, "lock_platform_import", {"delivery_date": day})
        if "advisors" in files:
            store.execute(conn, "create_import_advisors_stage")
            _copy(
                cur, "import_advisors", _valid_rows("advisors", files["advisors"], day, day_span), "advisors"
            )
            counts.update(store.execute(conn, "upsert_imported_advisors")[0])
        replaced = store.execute(conn, "delete_imported_day", {"delivery_date": day})[0]["replaced"]
        attempts = _copy(
            cur,
            "platform.delivery_attempts",
            _valid_rows("delivery_attempts", files["delivery_attempts"], day, day_span),
            "delivery_attempts",
        )
    return Loaded(attempts, int(replaced), int(counts.get("inserted", 0)), int(counts.get("updated", 0)))
