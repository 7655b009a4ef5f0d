"""The monitor's packed read (sql/queries/select_attempt_changes.sql, select_attempts_by_id.sql) decodes every field
exactly, edge values included: NULL error code, latency 0 and 2e9 ms, a negative segment (bad source data)."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest

from delivery_window import window
from delivery_window.migrate import apply_migrations
from delivery_window.monitor import source
from delivery_window.monitor.state import NO_ERROR_CODE, STATUS_CODE, to_us
from delivery_window.sandbox.scenarios import apply_source_contract

pytestmark = pytest.mark.integration
DAY = date(2026, 5, 1)  # this file's own day; rows are rolled back
START = window.at(DAY, "delivery_start")

# attempt_id, seconds after 06:00, latency ms, status, error_code, segment, receipt seconds after the attempt
ROWS = [
    (501, 1, 0, "sent", None, 1, 0),
    (502, 2, 2_000_000_000, "delivered", None, 4, 3),
    (503, 3, 380, "failed", 131026, -3, 1),
    (504, 12, 75, "read", None, 2, 30),
    (505, 13, 99, "failed", 0, 3, 2),
]


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url) as c:
        apply_source_contract(c)
        apply_migrations(c)
        with c.cursor() as cur:
            cur.executemany(
                "INSERT INTO platform.delivery_attempts (attempt_id, delivery_date, advisor_id, segment, "
                "phone_number_id, template_name, attempted_at, api_latency_ms, status, error_code, status_at) "
                "VALUES (%s, %s, %s, %s, %s, 't', %s, %s, %s, %s, %s)",
                [
                    (i, DAY, f"ADV{i}", seg, f"NUM{i % 2}", START + timedelta(seconds=s), lat, st, code,
                     START + timedelta(seconds=s + r))
                    for i, s, lat, st, code, seg, r in ROWS
                ],
            )  # fmt: skip
        yield c
        c.rollback()


def _key(conn, text: str) -> int:
    """The monitor's key of an id: the server's 64-bit text hash."""
    return conn.execute("SELECT hashtextextended(%s, 0)", (text,)).fetchone()[0]


def _expected(conn, row):
    i, s, lat, st, code, seg, r = row
    return {
        "attempt_id": i,
        "attempted_us": to_us(START + timedelta(seconds=s)),
        "status_us": to_us(START + timedelta(seconds=s + r)),
        "status": STATUS_CODE[st],
        "error_code": NO_ERROR_CODE if code is None else code,
        "latency_ms": lat,
        "segment": seg,
        "advisor_key": _key(conn, f"ADV{i}"),
        "number_key": _key(conn, f"NUM{i % 2}"),
    }


def _rows(batch) -> list[dict]:
    fields = ("attempt_id", "attempted_us", "status_us", "status", "error_code", "latency_ms", "segment",
              "advisor_key", "number_key")  # fmt: skip
    columns = [getattr(batch, f).tolist() for f in fields]
    out = [dict(zip(fields, vals, strict=True)) for vals in zip(*columns, strict=True)]
    return sorted(out, key=lambda r: r["attempt_id"])


def test_full_rows_decode_every_field(conn):
    changes = source.read_changes(conn, DAY, START - timedelta(days=1), START + timedelta(minutes=1))
    assert _rows(changes.rows) == [_expected(conn, r) for r in ROWS] and len(changes.receipts) == 0
    assert _rows(source.read_attempts(conn, DAY, [503, 505, 999])) == [
        _expected(conn, ROWS[2]),
        _expected(conn, ROWS[4]),
    ]


def test_attempts_of_earlier_ticks_come_as_receipts(conn):
    """Split at 06:00:10: the first three attempts come as receipts (those with a receipt in the span)."""
    lo, split, t = START, START + timedelta(seconds=10), START + timedelta(seconds=20)
    changes = source.read_changes(conn, DAY, split, t, lo_status=lo, split=split)
    assert [r["attempt_id"] for r in _rows(changes.rows)] == [504, 505]
    names = ("attempt_id", "status_us", "status", "error_code")
    got = sorted(zip(*(getattr(changes.receipts, f).tolist() for f in names), strict=True))
    want = [tuple(_expected(conn, r)[f] for f in names) for r in ROWS[1:3]]
    assert got == want  # 501 is still "sent": no receipt
