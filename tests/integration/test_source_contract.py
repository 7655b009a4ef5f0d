"""sql/source_contract.sql and write_day on a real PostgreSQL: idempotent DDL, idempotent loads, exact columns."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import psycopg
import pytest

from delivery_window.sandbox.scenarios import apply_source_contract, generate_day, write_day

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def conn(db_url):
    # A database of our own per process (on the session's server), so other test files never collide.
    from delivery_window.runtime import with_database

    name = f"dw_test_sandbox_{os.getpid()}"
    with psycopg.connect(with_database(db_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(with_database(db_url, name), autocommit=True) as c:
            yield c
    finally:
        with psycopg.connect(with_database(db_url, "postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _columns(conn, table: str) -> list[tuple[str, str, str]]:
    return conn.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'platform' AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()


def _counts(conn) -> dict[str, int]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'platform' ORDER BY 1"
        )
    ]
    return {t: conn.execute(f"SELECT count(*) FROM platform.{t}").fetchone()[0] for t in tables}  # noqa: S608


def _digest(conn, table: str, order: str) -> str:
    # md5 of every row as text, in a fixed order: equal digests mean identical content.
    sql = f"SELECT md5(string_agg(t::text, '|' ORDER BY {order})) FROM platform.{table} t"  # noqa: S608
    return conn.execute(sql).fetchone()[0]


def test_contract_applies_twice(conn):
    apply_source_contract(conn)
    apply_source_contract(conn)
    assert set(_counts(conn)) == {
        "advisors",
        "sender_numbers",
        "delivery_attempts",
        "content_items",
        "approval_queue",
        "templates_in_use",
        "preferences_snapshot",
        "fallback_content",
        "webhook_receipts",
        "engagement",
    }


def test_exact_columns_of_the_public_contract(conn):
    apply_source_contract(conn)
    assert _columns(conn, "advisors") == [
        ("advisor_id", "text", "NO"),
        ("segment", "smallint", "NO"),
        ("tier", "text", "NO"),
        ("phone_e164", "text", "NO"),
        ("active", "boolean", "NO"),
    ]
    assert _columns(conn, "delivery_attempts") == [
        ("attempt_id", "bigint", "NO"),
        ("delivery_date", "date", "NO"),
        ("advisor_id", "text", "NO"),
        ("segment", "smallint", "NO"),
        ("phone_number_id", "text", "NO"),
        ("template_name", "text", "NO"),
        ("wamid", "text", "YES"),
        ("attempted_at", "timestamp with time zone", "NO"),
        ("api_latency_ms", "integer", "NO"),
        ("status", "text", "NO"),
        ("error_code", "integer", "YES"),
        ("status_at", "timestamp with time zone", "NO"),
    ]
    indexes = {r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'platform'")}
    assert any("delivery_attempts" in i and "(delivery_date, attempted_at)" in i for i in indexes)
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO platform.delivery_attempts VALUES (1, '2026-01-01', 'A', 1, 'p', 't', NULL, now(), 1, "
            "'bounced', NULL, now())"
        )


def test_write_day_twice_gives_identical_content(conn):
    apply_source_contract(conn)
    day = generate_day("healthy", DAY)
    first = write_day(conn, day)
    digest = _digest(conn, "delivery_attempts", "attempt_id")
    receipts = _digest(conn, "webhook_receipts", "wamid, status")
    counts = _counts(conn)
    second = write_day(conn, day)
    assert first == second
    assert _counts(conn) == counts
    assert _digest(conn, "delivery_attempts", "attempt_id") == digest
    assert _digest(conn, "webhook_receipts", "wamid, status") == receipts
    assert counts["advisors"] == 2020 and counts["sender_numbers"] == 5
    assert counts["delivery_attempts"] == len(day.delivery_attempts)
    assert first == {t: len(rows) for t, rows in day.tables().items()}


def test_days_coexist_and_a_rewrite_replaces_only_its_day(conn):
    apply_source_contract(conn)
    write_day(conn, generate_day("healthy", DAY))
    other = date(2026, 11, 27)
    write_day(conn, generate_day("healthy", other))
    write_day(conn, generate_day("whatsapp_outage", DAY))  # replace the 26th with an outage day
    rows = dict(
        conn.execute(
            "SELECT delivery_date, round(100.0 * count(DISTINCT advisor_id) FILTER (WHERE status IN "
            "('delivered','read')) / 2000, 1) FROM platform.delivery_attempts GROUP BY 1"
        ).fetchall()
    )
    assert float(rows[other]) >= 99.5 and float(rows[DAY]) < 60
    payload = conn.execute(
        "SELECT payload->'entry'->0->'changes'->0->'value'->'statuses'->0->>'status', status "
        "FROM platform.webhook_receipts WHERE delivery_date = %s LIMIT 1",
        (DAY,),
    ).fetchone()
    assert payload[0] == payload[1]


def test_write_day_inside_a_caller_transaction_rolls_back_with_it(conn):
    apply_source_contract(conn)
    before = _counts(conn)
    with pytest.raises(RuntimeError), conn.transaction():
        write_day(conn, generate_day("healthy", date(2026, 12, 1)))
        raise RuntimeError("caller aborts")
    assert _counts(conn) == before
