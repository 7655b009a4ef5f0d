"""The report schema documents itself (issue 16): every table, view and column of ``delivery_ops`` has a comment,
in the record and in an evaluation's copy, and the packed ``scope`` of alerts and ticks reads as kind and key.

Each test migrates a fresh database of its own (``own_database``), so a table added without a comment fails here
whatever the other tests left behind.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest

from delivery_window import scope, store
from delivery_window.migrate import apply_migrations
from delivery_window.monitor.metrics import TickMetrics
from delivery_window.records import Firing
from delivery_window.sandbox.scenarios import apply_source_contract

DAY = date(2026, 3, 14)
AT = datetime(2026, 3, 14, 0, 31, 10, tzinfo=UTC)  # 06:01:10 IST
EVALUATION = "delivery_eval_20260314_0123456789"

# Tables, views and their columns without a comment (relkind: r table, p partitioned, v view, m materialized).
UNDOCUMENTED = """
SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'view ' ELSE 'table ' END || c.relname
FROM pg_class c
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
  AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
  AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1
"""

# Every scope form the monitor writes (monitor/metrics.py scopes_of, monitor/rules.py) -> (scope_kind, scope_key).
SCOPES = {
    "overall": ("overall", None),
    "segment:3": ("segment", "3"),
    "tier:gold": ("tier", "gold"),
    "number:1065550102": ("number", "1065550102"),
    "advisor:ADV00131": ("advisor", "ADV00131"),
    "template:daily_brief_seg2:en": ("template", "daily_brief_seg2:en"),  # the key keeps its own ':'
}


@pytest.fixture(scope="module")
def migrated(own_database):
    """A fresh database: the platform tables, the record's report schema and one evaluation's copy of it."""
    with own_database("schema_doc") as url, psycopg.connect(url) as conn:
        apply_source_contract(conn)
        conn.commit()
        apply_migrations(conn)
        apply_migrations(conn, schema=EVALUATION)
        yield conn


def undocumented(conn, schema: str) -> list[str]:
    rows = conn.execute(UNDOCUMENTED, {"schema": schema}).fetchall()
    conn.rollback()
    return [name for (name,) in rows]


def test_every_table_view_and_column_of_the_record_has_a_comment(migrated):
    objects = migrated.execute(
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'delivery_ops'::regnamespace AND relkind IN ('r', 'v')"
    ).fetchone()[0]
    assert objects >= 20  # the walk sees the schema
    assert undocumented(migrated, "delivery_ops") == []


def test_an_evaluation_schema_is_documented_as_the_record(migrated):
    assert undocumented(migrated, EVALUATION) == []
    same = migrated.execute(
        "SELECT obj_description(%s::regclass, 'pg_class') = obj_description('delivery_ops.metric_ticks'::regclass, "
        "'pg_class')",
        (f"{EVALUATION}.metric_ticks",),
    ).fetchone()[0]
    migrated.rollback()
    assert same


def test_no_comment_names_the_record_schema(migrated):
    """A comment is copied into an evaluation with the schema name replaced: none names the record's schema."""
    named = migrated.execute(
        """
        SELECT relname FROM pg_class
        WHERE relnamespace = 'delivery_ops'::regnamespace AND obj_description(oid, 'pg_class') ~ '\\mdelivery_ops\\M'
        UNION ALL
        SELECT c.relname || '.' || a.attname
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
        WHERE c.relnamespace = 'delivery_ops'::regnamespace AND col_description(c.oid, a.attnum) ~ '\\mdelivery_ops\\M'
        """
    ).fetchall()
    migrated.rollback()
    assert sorted(n for (n,) in named) == []


@pytest.mark.parametrize("schema", ["delivery_ops", EVALUATION])
def test_scope_kind_and_key_of_every_scope_form(migrated, schema):
    """Writers are unchanged (store upserts, both tick statements) and a rerun's upsert keeps the split."""
    run = scope.RECORD if schema == "delivery_ops" else scope.RunScope(schema=schema, evaluation_id="x")
    scope.enter(run)
    try:
        conn = migrated
        for n, s in enumerate(SCOPES):
            firing = Firing("shard_failing", s, "severity_2", AT, "summary", {"n": n})
            assert store.record_alert(conn, DAY, firing, f"k:{schema}:{s}") is True
            assert store.record_alert(conn, DAY, firing, f"k:{schema}:{s}") is False  # ON CONFLICT DO UPDATE
        ticks = [TickMetrics(AT, s, 10, 8, 7, 1, 87.5, 10.0, 10, 900) for s in SCOPES]
        store.record_ticks(conn, DAY, ticks)  # upsert_metric_tick
        store.record_ticks(conn, DAY, ticks)  # again: the update path
        store.execute(  # the monitor's one-statement-per-tick upsert (monitor/source.py)
            conn,
            "upsert_metric_ticks",
            {
                "delivery_date": DAY,
                "tick_at": AT.replace(second=20),
                "scope": list(SCOPES),
                **{
                    k: [v] * len(SCOPES)
                    for k, v in {
                        "attempts": 10, "resolved": 8, "delivered": 7, "failed": 1, "success_rate_pct": 87.5,
                        "error_rate_pct": 10.0, "rate_per_min": 10, "p95_latency_ms": 900,
                    }.items()
                },
            },
        )  # fmt: skip
        for table in ("alerts", "metric_ticks"):
            rows = conn.execute(
                f"SELECT scope, scope_kind, scope_key FROM {schema}.{table} WHERE delivery_date = %s",  # noqa: S608
                (DAY,),
            ).fetchall()
            assert {r[0]: r[1:] for r in rows} == SCOPES, table
            assert len(rows) == len(SCOPES) * (1 if table == "alerts" else 2)
        with pytest.raises(psycopg.errors.GeneratedAlways):
            conn.execute(f"UPDATE {schema}.alerts SET scope_kind = 'x'")  # noqa: S608
    finally:
        migrated.rollback()
        scope.enter(scope.RECORD)
