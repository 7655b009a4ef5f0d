"""`delivery-window import` against the real Postgres (issue 15, requirement 7): a day exported as CSV or Parquet
lands in platform.* as it was, a re-import replaces it, a file with one bad row writes nothing and says why."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

import psycopg
import pytest

from delivery_window import cli
from delivery_window.sandbox.scenarios import apply_source_contract, generate_day
from delivery_window.source_import import ADVISOR_COLUMNS, ATTEMPT_COLUMNS

pytestmark = pytest.mark.integration
DAY = date(2026, 11, 26)
GENERATED = generate_day("healthy", DAY)
ATTEMPT_NAMES = [c.name for c in ATTEMPT_COLUMNS]
ADVISOR_NAMES = [c.name for c in ADVISOR_COLUMNS]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "t" if value else "f"  # as COPY ... TO CSV writes a boolean
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, date) else str(value)


def write_csv(path, names, rows) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(names)
        out.writerows([_text(v) for v in row] for row in rows)


def write_parquet(path, names, rows) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "bigint": pa.int64(),
        "integer": pa.int32(),
        "smallint": pa.int16(),
        "text": pa.string(),
        "date": pa.date32(),
        "timestamptz": pa.timestamp("us", tz="UTC"),
        "boolean": pa.bool_(),
    }
    columns = {c.name: c for c in (*ATTEMPT_COLUMNS, *ADVISOR_COLUMNS)}
    schema = pa.schema([(n, types[columns[n].type]) for n in names])
    data = {n: [row[i] for row in rows] for i, n in enumerate(names)}
    pq.write_table(pa.table(data, schema=schema), path)


@pytest.fixture
def platform_db(own_database):
    """A database of its own with the platform tables (sql/source_contract.sql) and nothing in them."""
    with own_database("import") as url:
        with psycopg.connect(url) as conn:
            apply_source_contract(conn)
        yield url


def attempts_in(url, day=DAY) -> list[tuple]:
    columns = ", ".join(ATTEMPT_NAMES)
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"SELECT {columns} FROM platform.delivery_attempts WHERE delivery_date = %s ORDER BY attempt_id",  # noqa: S608
            (day,),
        ).fetchall()


def advisors_in(url) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT {', '.join(ADVISOR_NAMES)} FROM platform.advisors ORDER BY 1").fetchall()  # noqa: S608


def expected_attempts() -> list[tuple]:
    return sorted(tuple(a) for a in GENERATED.delivery_attempts)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_generated_day_is_imported_as_it_was_and_a_reimport_replaces_it(platform_db, tmp_path, capsys, fmt):
    write = write_csv if fmt == "csv" else write_parquet
    attempts, advisors = tmp_path / f"attempts.{fmt}", tmp_path / f"advisors.{fmt}"
    write(attempts, ATTEMPT_NAMES, GENERATED.delivery_attempts)
    write(advisors, ADVISOR_NAMES, GENERATED.advisors)
    # an attempt of another day is not the import's to replace
    other = GENERATED.delivery_attempts[0]._replace(attempt_id=1, delivery_date=DAY - timedelta(days=1))
    with psycopg.connect(platform_db) as conn:
        placeholders = ", ".join(["%s"] * len(ATTEMPT_NAMES))
        conn.execute(f"INSERT INTO platform.delivery_attempts VALUES ({placeholders})", tuple(other))  # noqa: S608
    args = ["import", "--date", DAY.isoformat(), "--attempts", str(attempts), "--advisors", str(advisors)]

    assert cli.main([*args, "--db-url", platform_db]) == 0
    n, m = len(GENERATED.delivery_attempts), len(GENERATED.advisors)
    assert capsys.readouterr().out == (
        f"imported {DAY}: {n} delivery attempts loaded, 0 replaced; {m} advisors upserted ({m} new, 0 updated)\n"
    )
    assert attempts_in(platform_db) == expected_attempts()
    assert advisors_in(platform_db) == sorted(tuple(a) for a in GENERATED.advisors)

    assert (
        cli.main([*args, "--db-url", platform_db]) == 0
    )  # idempotent: the day replaced, the advisors updated
    assert capsys.readouterr().out == (
        f"imported {DAY}: {n} delivery attempts loaded, {n} replaced; {m} advisors upserted (0 new, {m} updated)\n"
    )
    assert attempts_in(platform_db) == expected_attempts()
    assert attempts_in(platform_db, other.delivery_date) == [tuple(other)]


def test_a_file_with_bad_rows_writes_nothing_and_counts_each_problem(platform_db, tmp_path, capsys):
    good, advisors = tmp_path / "good.csv", tmp_path / "advisors.csv"
    write_csv(good, ATTEMPT_NAMES, GENERATED.delivery_attempts)
    write_csv(advisors, ADVISOR_NAMES, GENERATED.advisors)
    first = ["import", "--date", str(DAY), "--attempts", str(good), "--advisors", str(advisors)]
    assert cli.main([*first, "--db-url", platform_db]) == 0
    capsys.readouterr()
    before = attempts_in(platform_db)

    rows = [list(a) for a in GENERATED.delivery_attempts[:40]]
    status = ATTEMPT_NAMES.index("status")
    for i in (3, 9, 11):
        rows[i][status] = "bounced"
    rows[15][0] = rows[2][0]  # line 17 repeats line 4
    rows[20][ATTEMPT_NAMES.index("attempted_at")] = None
    bad = tmp_path / "bad.csv"
    write_csv(bad, ATTEMPT_NAMES, rows)
    renamed = [a._replace(tier="renamed") for a in GENERATED.advisors]  # valid, but must not land either
    write_csv(advisors, ADVISOR_NAMES, renamed)

    argv = ["import", "--date", str(DAY), "--attempts", str(bad), "--advisors", str(advisors)]
    assert cli.main([*argv, "--db-url", platform_db]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"delivery-window import: error: refused: {bad}: "
        "3 rows with status outside sent/delivered/read/failed (first at line 5), "
        "1 duplicate attempt_id (first at line 17, a repeat of line 4), "
        "1 row with no attempted_at (first at line 22) "
        "(5 of 40 rows break the source contract); nothing was written\n"
    )
    assert attempts_in(platform_db) == before
    assert {a[2] for a in advisors_in(platform_db)} == {"platinum", "gold", "silver", "standard"}


def test_an_export_whose_header_is_not_the_contracts_is_refused(platform_db, tmp_path, capsys):
    path = tmp_path / "attempts.csv"
    names = ["attempted" if n == "attempted_at" else n for n in ATTEMPT_NAMES]
    write_csv(path, names, GENERATED.delivery_attempts[:3])
    assert cli.main(["import", "--date", str(DAY), "--attempts", str(path), "--db-url", platform_db]) == 2
    assert capsys.readouterr().err == (
        f"delivery-window import: error: refused: {path}: missing column attempted_at; unknown column "
        "'attempted' (did you mean attempted_at?); nothing was written\n"
    )
    assert attempts_in(platform_db) == []


def test_import_without_the_platform_tables_names_the_command_that_creates_them(
    own_database, tmp_path, capsys
):
    path = tmp_path / "attempts.parquet"
    write_parquet(path, ATTEMPT_NAMES, GENERATED.delivery_attempts[:3])
    with own_database("import_no_platform") as url:
        assert cli.main(["import", "--date", str(DAY), "--attempts", str(path), "--db-url", url]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "delivery-window import: error: no platform.delivery_attempts in that database: "
        "`delivery-window migrate --with-source-contract` creates them (on a database the package owns)"
    ]


def test_an_unknown_file_type_is_one_line(platform_db, tmp_path, capsys):
    path = tmp_path / "attempts.xlsx"
    path.write_text("")
    assert cli.main(["import", "--date", str(DAY), "--attempts", str(path), "--db-url", platform_db]) == 2
    assert capsys.readouterr().err == (
        f"delivery-window import: error: {path}: unknown file type '.xlsx': use .csv or .parquet; "
        "nothing was written\n"
    )
