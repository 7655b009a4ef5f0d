"""The check of a platform export before ``delivery-window import`` loads it (pure; issue 15, requirement 7):
every kind of problem counted with its first line, the header held to the contract, all or nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from delivery_window import window
from delivery_window.protocol import get_protocol
from delivery_window.sandbox.scenarios import generate_day
from delivery_window.source_import import (
    ADVISOR_COLUMNS,
    ATTEMPT_COLUMNS,
    Checker,
    Column,
    convert,
    refusal,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 26)
SPAN = window.day_span(DAY, get_protocol())
NAMES = [c.name for c in ATTEMPT_COLUMNS]
ADVISOR_NAMES = [c.name for c in ADVISOR_COLUMNS]
GENERATED = generate_day("healthy", DAY)


def text(value) -> str:
    """A value as a CSV export spells it (NULL: empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_rows(rows, names=NAMES) -> list[tuple[int, list[str]]]:
    """``(line, fields)`` as a CSV file with a header on line 1 gives them."""
    return [
        (i + 2, [text(getattr(r, n) if not isinstance(r, dict) else r[n]) for n in names])
        for i, r in enumerate(rows)
    ]


def attempts_checker(names=NAMES, unit="line") -> Checker:
    return Checker("delivery_attempts", names, day=DAY, day_start=SPAN[0], day_end=SPAN[1], unit=unit)


def base(n: int) -> list[dict]:
    return [r._asdict() for r in GENERATED.delivery_attempts[:n]]


def test_the_columns_are_those_of_sql_source_contract():
    ddl = (ROOT / "sql" / "source_contract.sql").read_text()

    def table(name: str) -> list[Column]:
        body = re.search(rf"CREATE TABLE IF NOT EXISTS platform\.{name} \((.*?)\n\);", ddl, re.S).group(1)
        columns = []
        for line in body.splitlines():
            m = re.match(r"\s+(\w+)\s+(bigint|integer|smallint|text|date|timestamptz|boolean)\b(.*)", line)
            if m:
                rest = m.group(3)
                columns.append(
                    Column(
                        m.group(1), m.group(2), nullable="NOT NULL" not in rest and "PRIMARY KEY" not in rest
                    )
                )
        return columns

    assert list(ATTEMPT_COLUMNS) == table("delivery_attempts")
    assert list(ADVISOR_COLUMNS) == table("advisors")


def test_a_generated_day_passes_and_converts_back_to_its_rows():
    valid, verdict = validate(attempts_checker(), csv_rows(GENERATED.delivery_attempts))
    assert verdict.ok and verdict.text() == "" and verdict.rows_read == len(GENERATED.delivery_attempts)
    assert valid == [tuple(r) for r in GENERATED.delivery_attempts]
    advisors, v = validate(Checker("advisors", ADVISOR_NAMES), csv_rows(GENERATED.advisors, ADVISOR_NAMES))
    assert v.ok and advisors == [tuple(a) for a in GENERATED.advisors]


def test_every_kind_of_problem_is_counted_with_its_first_line():
    rows = base(16)
    before = SPAN[0] - timedelta(seconds=1)
    rows[1]["status"] = "deleted"
    rows[3]["status"] = "DELIVERED"
    rows[2]["attempted_at"] = None
    rows[4]["attempt_id"] = rows[0]["attempt_id"]  # line 6 repeats line 2
    rows[5]["delivery_date"] = DAY + timedelta(days=1)
    rows[6]["segment"] = 5
    rows[7]["attempted_at"] = SPAN[1]  # midnight after: the next day
    rows[8]["status_at"] = before
    rows[8]["attempted_at"] = before  # line 10: two problems, counted under both
    rows[9]["api_latency_ms"] = -1
    rows[10]["api_latency_ms"] = None  # NOT NULL in the table the import loads
    fields = csv_rows(rows)
    fields[11][1][NAMES.index("attempt_id")] = "12x"
    fields[12][1][NAMES.index("status_at")] = "2026-11-26 06:00:00"  # no time zone
    fields[13][1][NAMES.index("error_code")] = "1.5"
    _, v = validate(attempts_checker(), fields)
    assert not v.ok
    assert v.counts() == {
        "status": 2,
        "null:attempted_at": 1,
        "duplicate:attempt_id": 1,
        "other_day": 1,
        "segment": 1,
        "outside_day": 2,
        "status_at_before_day": 1,
        "negative_latency": 1,
        "null:api_latency_ms": 1,
        "type:attempt_id": 1,
        "type:status_at": 1,
        "type:error_code": 1,
    }
    assert {p.kind: p.first for p in v.problems} == {
        "status": 3,
        "null:attempted_at": 4,
        "duplicate:attempt_id": 6,
        "other_day": 7,
        "segment": 8,
        "outside_day": 9,
        "status_at_before_day": 10,
        "negative_latency": 11,
        "null:api_latency_ms": 12,
        "type:attempt_id": 13,
        "type:status_at": 14,
        "type:error_code": 15,
    }
    assert v.rows_refused == 13 and v.rows_read == 16  # line 10 breaks two
    assert v.text() == (
        "2 rows with status outside sent/delivered/read/failed (first at line 3), "
        "1 row with no attempted_at (first at line 4), "
        "1 duplicate attempt_id (first at line 6, a repeat of line 2), "
        "1 row with delivery_date other than 2026-11-26 (first at line 7), "
        "1 row with segment outside 1..4 (first at line 8), "
        "2 rows with attempted_at outside 2026-11-26 (Asia/Kolkata) (first at line 9), "
        "1 row with status_at before 2026-11-26 began (Asia/Kolkata) (first at line 10), "
        "1 row with api_latency_ms below 0 (first at line 11), "
        "1 row with no api_latency_ms (first at line 12), "
        "1 row with attempt_id not a bigint (first at line 13), "
        "1 row with status_at not a timestamp with a time zone (first at line 14), "
        "1 row with error_code not an integer (first at line 15) "
        "(13 of 16 rows break the source contract)"
    )


def test_nullable_columns_may_be_empty_and_the_rest_may_not():
    rows = base(3)
    rows[0].update(wamid=None, error_code=None)
    rows[1].update(advisor_id=None, template_name=None, phone_number_id=None)
    valid, v = validate(attempts_checker(), csv_rows(rows))
    assert v.counts() == {"null:advisor_id": 1, "null:phone_number_id": 1, "null:template_name": 1}
    assert v.rows_refused == 1 and len(valid) == 2 and valid[0][NAMES.index("wamid")] is None


def test_the_header_must_be_the_contracts_columns_in_any_order():
    shuffled = list(reversed(NAMES))
    rows = [(2, [text(GENERATED.delivery_attempts[0]._asdict()[n]) for n in shuffled])]
    valid, v = validate(attempts_checker(shuffled), rows)
    assert v.ok and valid == [tuple(GENERATED.delivery_attempts[0])]

    typo = [("attempted" if n == "attempted_at" else n) for n in NAMES] + ["status", "note"]
    _, v = validate(attempts_checker(typo), [])
    assert not v.ok and v.rows_read == 0
    assert v.text() == (
        "column status given twice; missing column attempted_at; "
        "unknown column 'attempted' (did you mean attempted_at?); unknown column 'note'"
    )


def test_a_row_with_another_field_count_than_the_header_is_refused():
    fields = csv_rows(base(3))
    fields[1] = (3, fields[1][1][:-1])
    fields[2] = (5, [*fields[2][1], "extra"])  # a quoted newline before: the row starts on line 5
    _, v = validate(attempts_checker(), fields)
    assert v.counts() == {"field_count": 2} and v.problems[0].first == 3
    assert "2 rows with a field count other than the header's 12 (first at line 3)" in v.text()


def test_typed_parquet_values_are_held_to_the_columns_types():
    bigint, integer, ts, active = (
        Column("a", "bigint"),
        Column("b", "integer"),
        Column("c", "timestamptz"),
        Column("d", "boolean"),
    )
    assert convert(bigint, 202611260000001) == 202611260000001
    assert convert(integer, 131000.0) == 131000  # pandas writes a nullable integer column as float
    for bad in (True, 1.5, "1e3", 2**31):
        with pytest.raises(ValueError):
            convert(integer, bad)
    with pytest.raises(ValueError):
        convert(bigint, 2**63)
    aware = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)
    assert convert(ts, aware) == aware
    assert convert(ts, "2026-11-26 06:00:00.139+05:30") == aware + timedelta(microseconds=139000)
    with pytest.raises(ValueError):
        convert(ts, datetime(2026, 11, 26, 6, 0))  # naive: which instant?
    assert [convert(active, v) for v in (True, "t", "TRUE", "f", "0")] == [True, True, True, False, False]
    with pytest.raises(ValueError):
        convert(active, "maybe")
    with pytest.raises(ValueError):
        convert(Column("e", "text"), 1065550102)  # a text column is text


def test_parquet_rows_are_named_by_row_and_nan_is_null():
    row = GENERATED.delivery_attempts[0]._asdict()
    values = [float("nan") if n == "error_code" else row[n] for n in NAMES]
    valid, v = validate(attempts_checker(unit="row"), [(1, values), (2, values)])
    assert valid[0][NAMES.index("error_code")] is None
    assert v.text() == (
        "1 duplicate attempt_id (first at row 2, a repeat of row 1) (1 of 2 rows break the source contract)"
    )


def test_advisors_are_checked_against_their_columns():
    advisors = [a._asdict() for a in GENERATED.advisors[:5]]
    advisors[1]["segment"] = 0
    advisors[2]["advisor_id"] = advisors[0]["advisor_id"]
    advisors[3]["tier"] = None
    fields = csv_rows(advisors, ADVISOR_NAMES)
    fields[4][1][ADVISOR_NAMES.index("active")] = "yes please"
    _, v = validate(Checker("advisors", ADVISOR_NAMES), fields)
    assert v.counts() == {"segment": 1, "duplicate:advisor_id": 1, "null:tier": 1, "type:active": 1}
    assert "1 duplicate advisor_id (first at line 4, a repeat of line 2)" in v.text()


def test_the_import_is_all_or_nothing():
    good = csv_rows(base(5))
    ok = validate(attempts_checker(), good)[1]
    adv = validate(Checker("advisors", ADVISOR_NAMES), csv_rows(GENERATED.advisors[:3], ADVISOR_NAMES))[1]
    assert refusal({"attempts.csv": ok, "advisors.csv": adv}) is None

    one_bad = base(5)
    one_bad[4]["status"] = "bounced"
    bad = validate(attempts_checker(), csv_rows(one_bad))[1]
    assert not bad.ok and bad.rows_refused == 1
    # one bad row in one file refuses both files
    assert refusal({"attempts.csv": bad, "advisors.csv": adv}) == (
        "refused: attempts.csv: 1 row with status outside sent/delivered/read/failed (first at line 6) "
        "(1 of 5 rows break the source contract); nothing was written"
    )
    empty = validate(attempts_checker(), [])[1]  # an empty export would wipe the day: refused
    assert (
        not empty.ok
        and refusal({"attempts.csv": empty}) == "refused: attempts.csv: no rows; nothing was written"
    )
