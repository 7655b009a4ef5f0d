"""Whether a day exported from the platform keeps the source contract (pure): ``delivery-window import`` loads
it only when every row does.

The contract is sql/source_contract.sql (ARCHITECTURE §3): ``ATTEMPT_COLUMNS`` and ``ADVISOR_COLUMNS`` name its
columns, types and nullability (a unit test holds them to the file). An export is checked as the header and a row
at a time (``Checker``), so a file of any size is validated without holding it: its names must be the contract's
columns (any order), every value must be of its column's type, and the attempts must belong to the day imported
(``delivery_date`` = the day, ``attempted_at`` within it in Asia/Kolkata). Every problem is counted by kind with the
first line it occurs on; one problem anywhere refuses the whole file (``Verdict.ok``): an import is all or nothing.

Values come as text (CSV: an empty field is NULL) or already typed (Parquet). A typed value must be of the
column's type (an integral float passes as an integer: pandas writes a nullable integer column as float); text
must spell one. A timestamp needs its time zone: a naive one could be any of two instants 5.5 h apart.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from delivery_window.source_contract import STATUSES

SEGMENTS = range(1, 5)  # platform.*.segment CHECK (segment BETWEEN 1 AND 4)


@dataclass(frozen=True)
class Column:
    """A column of the source contract: name, Postgres type, whether NULL is allowed."""

    name: str
    type: str  # bigint | integer | smallint | text | date | timestamptz | boolean
    nullable: bool = False


# platform.delivery_attempts. api_latency_ms is NOT NULL in the table the import loads (the monitor's p95 skips a
# NULL, but it cannot be stored), so a missing latency refuses the row.
ATTEMPT_COLUMNS = (
    Column("attempt_id", "bigint"),
    Column("delivery_date", "date"),
    Column("advisor_id", "text"),
    Column("segment", "smallint"),
    Column("phone_number_id", "text"),
    Column("template_name", "text"),
    Column("wamid", "text", nullable=True),
    Column("attempted_at", "timestamptz"),
    Column("api_latency_ms", "integer"),
    Column("status", "text"),
    Column("error_code", "integer", nullable=True),
    Column("status_at", "timestamptz"),
)
ADVISOR_COLUMNS = (
    Column("advisor_id", "text"),
    Column("segment", "smallint"),
    Column("tier", "text"),
    Column("phone_e164", "text"),
    Column("active", "boolean"),
)
TABLES = {"delivery_attempts": ATTEMPT_COLUMNS, "advisors": ADVISOR_COLUMNS}
KEYS = {"delivery_attempts": "attempt_id", "advisors": "advisor_id"}  # primary keys: unique within a file

_RANGES = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
_TYPE_NAMES = {
    "bigint": "a bigint",
    "integer": "an integer",
    "smallint": "a smallint",
    "text": "text",
    "date": "a date YYYY-MM-DD",
    "timestamptz": "a timestamp with a time zone",
    "boolean": "a boolean",
}
_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = frozenset({"t", "true", "y", "yes", "on", "1"})  # Postgres's boolean literals
_FALSE = frozenset({"f", "false", "n", "no", "off", "0"})


class _NotOfType(ValueError):
    pass


def _is_null(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def convert(column: Column, value: Any) -> Any:
    """``value`` (text or typed, not NULL) as the Python value of ``column``'s type; ValueError when it is none."""
    kind = column.type
    if kind in _RANGES:
        if isinstance(value, bool):
            raise _NotOfType(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            value = int(value.strip())
        if not isinstance(value, int) or not -_RANGES[kind] <= value < _RANGES[kind]:
            raise _NotOfType(value)
        return value
    if kind == "text":
        if not isinstance(value, str):
            raise _NotOfType(value)
        return value
    if kind == "date":
        if isinstance(value, str):
            return date.fromisoformat(value.strip())
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        raise _NotOfType(value)
    if kind == "timestamptz":
        if isinstance(value, str):
            value = datetime.fromisoformat(value.strip())
        elif type(value) is not datetime and hasattr(value, "to_pydatetime"):
            value = value.to_pydatetime(warn=False)  # pandas' Timestamp (Parquet ns): Postgres keeps µs
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise _NotOfType(value)
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _NotOfType(value)
    raise AssertionError(f"no converter for {kind}")


@dataclass
class Problem:
    """One kind of problem: how many rows have it and the first line (or Parquet row) it occurs on."""

    kind: str
    what: str  # completes "3 rows with ...", or names a row itself ("duplicate attempt_id")
    count: int = 0
    first: int = 0
    first_of: int | None = None  # a duplicate: the line of the row it repeats
    names_row: bool = False  # ``what`` is a noun for the row ("1 duplicate attempt_id"), not "row(s) with …"

    def text(self, unit: str = "line") -> str:
        """e.g. ``3 rows with status outside sent/delivered/read/failed (first at line 4)``."""
        if self.names_row:
            head = f"{self.count} {self.what}{'' if self.count == 1 else 's'}"
        else:
            head = f"{self.count} {'row' if self.count == 1 else 'rows'} with {self.what}"
        where = f"first at {unit} {self.first}"
        if self.first_of is not None:
            where += f", a repeat of {unit} {self.first_of}"
        return f"{head} ({where})"


@dataclass(frozen=True)
class Verdict:
    """What the check of one file found. ``ok``: load it; otherwise nothing of it (nor of the import) is written."""

    table: str
    rows_read: int
    rows_refused: int
    problems: tuple[Problem, ...] = ()
    column_problems: tuple[str, ...] = ()  # the header is not the contract's: no row was checked
    unit: str = "line"

    @property
    def ok(self) -> bool:
        return not self.column_problems and not self.problems and self.rows_read > 0

    def counts(self) -> dict[str, int]:
        """Rows per problem kind (in the order the kinds first occur)."""
        return {p.kind: p.count for p in self.problems}

    def text(self) -> str:
        """The problems in one line ('' when ``ok``)."""
        if self.column_problems:
            return "; ".join(self.column_problems)
        if self.rows_read == 0:
            return "no rows"
        if not self.problems:
            return ""
        kinds = ", ".join(p.text(self.unit) for p in self.problems)
        return f"{kinds} ({self.rows_refused} of {self.rows_read} rows break the source contract)"


def column_problems(table: str, names: Sequence[str]) -> list[str]:
    """What is wrong with a file's column names for ``table`` (missing, unknown with the name meant, twice)."""
    expected = [c.name for c in TABLES[table]]
    problems: list[str] = []
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if twice:
        problems.append(f"column {', '.join(twice)} given twice")
    missing = [n for n in expected if n not in names]
    unknown = [n for n in dict.fromkeys(names) if n not in expected]
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    for name in unknown:
        meant = difflib.get_close_matches(name, missing or expected, n=1)
        problems.append(f"unknown column {name!r}" + (f" (did you mean {meant[0]}?)" if meant else ""))
    return problems


@dataclass
class Checker:
    """Checks one file of ``table`` row by row. ``day``/``day_start``/``day_end`` (the delivery date and its
    [midnight, next midnight) in Asia/Kolkata) are needed for the attempts. ``check`` returns a row's values in
    ``TABLES[table]`` order, converted, or None when the row breaks the contract; ``verdict`` sums it up."""

    table: str
    names: Sequence[str]
    day: date | None = None
    day_start: datetime | None = None
    day_end: datetime | None = None
    unit: str = "line"
    rows_read: int = 0
    rows_refused: int = 0
    _problems: dict[str, Problem] = field(default_factory=dict)
    _seen: dict[Any, int] = field(default_factory=dict)  # key -> line of its first row

    def __post_init__(self) -> None:
        self.columns = TABLES[self.table]
        self.names = list(self.names)
        self._header = column_problems(self.table, self.names)
        self._index = {n: i for i, n in enumerate(self.names)}
        if self.table == "delivery_attempts" and None in (self.day, self.day_start, self.day_end):
            raise ValueError("checking delivery attempts needs the day and its bounds")

    def _note(self, kind: str, what: str, where: int, names_row: bool = False) -> None:
        p = self._problems.setdefault(kind, Problem(kind, what, first=where, names_row=names_row))
        p.count += 1

    def check(self, where: int, values: Sequence[Any]) -> tuple | None:
        """Check the row at line (or Parquet row) ``where`` whose fields are ``values`` in the header's order."""
        if self._header:
            raise ValueError(f"the columns are not the contract's: {'; '.join(self._header)}")
        self.rows_read += 1
        before = {k: p.count for k, p in self._problems.items()}
        if len(values) != len(self.names):
            self._note("field_count", f"a field count other than the header's {len(self.names)}", where)
            self.rows_refused += 1
            return None
        row: dict[str, Any] = {}
        for column in self.columns:
            value = values[self._index[column.name]]
            if _is_null(value):
                if not column.nullable:
                    self._note(f"null:{column.name}", f"no {column.name}", where)
                row[column.name] = None
                continue
            try:
                row[column.name] = convert(column, value)
            except ValueError:
                self._note(f"type:{column.name}", f"{column.name} not {_TYPE_NAMES[column.type]}", where)
                row[column.name] = None
        self._check_values(where, row)
        if {k: p.count for k, p in self._problems.items()} != before:
            self.rows_refused += 1
            return None
        return tuple(row[c.name] for c in self.columns)

    def _check_values(self, where: int, row: dict[str, Any]) -> None:
        if row.get("segment") is not None and row["segment"] not in SEGMENTS:
            self._note("segment", "segment outside 1..4", where)
        key = row.get(KEYS[self.table])
        if key is not None:
            if key in self._seen:
                self._note(
                    f"duplicate:{KEYS[self.table]}", f"duplicate {KEYS[self.table]}", where, names_row=True
                )
                p = self._problems[f"duplicate:{KEYS[self.table]}"]
                if p.count == 1:
                    p.first_of = self._seen[key]
            else:
                self._seen[key] = where
        if self.table != "delivery_attempts":
            return
        assert self.day is not None and self.day_start is not None and self.day_end is not None
        if row["delivery_date"] is not None and row["delivery_date"] != self.day:
            self._note("other_day", f"delivery_date other than {self.day.isoformat()}", where)
        if row["status"] is not None and row["status"] not in STATUSES:
            self._note("status", f"status outside {'/'.join(STATUSES)}", where)
        zone = getattr(self.day_start.tzinfo, "key", None) or str(self.day_start.tzinfo)
        if row["attempted_at"] is not None and not self.day_start <= row["attempted_at"] < self.day_end:
            self._note("outside_day", f"attempted_at outside {self.day.isoformat()} ({zone})", where)
        # as source_contract.row_fault: a receipt before the day began is impossible (one after it is late)
        if row["status_at"] is not None and row["status_at"] < self.day_start:
            self._note(
                "status_at_before_day", f"status_at before {self.day.isoformat()} began ({zone})", where
            )
        if row["api_latency_ms"] is not None and row["api_latency_ms"] < 0:
            self._note("negative_latency", "api_latency_ms below 0", where)

    def verdict(self) -> Verdict:
        return Verdict(
            self.table,
            self.rows_read,
            self.rows_refused,
            tuple(self._problems.values()),
            tuple(self._header),
            self.unit,
        )


def validate(checker: Checker, rows: Iterable[tuple[int, Sequence[Any]]]) -> tuple[list[tuple], Verdict]:
    """Check every ``(where, values)`` of a file: the converted valid rows and the verdict (for small inputs and
    tests; the CLI streams through ``Checker.check``)."""
    if checker.verdict().column_problems:
        return [], checker.verdict()
    valid = [r for where, values in rows if (r := checker.check(where, values)) is not None]
    return valid, checker.verdict()


def refusal(verdicts: Mapping[str, Verdict]) -> str | None:
    """One line for the files that are not ``ok`` (label -> verdict), or None when all are: the import's
    decision, all or nothing."""
    bad = [f"{label}: {v.text()}" for label, v in verdicts.items() if not v.ok]
    if not bad:
        return None
    return f"refused: {'; '.join(bad)}; nothing was written"
