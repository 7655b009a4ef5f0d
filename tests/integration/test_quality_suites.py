"""Great Expectations suites on the real Postgres (GX SQL data source), and the performance_trends view."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import psycopg
import pytest

from delivery_window import store, window
from delivery_window.checkpoint import sla_checkpoint
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol
from delivery_window.quality.runner import run_suites, sqlalchemy_url
from delivery_window.quality.suites import suite_parameters
from delivery_window.sandbox.scenarios import generate_day, write_day

P = get_protocol()
DAY = date(2026, 10, 23)


@pytest.fixture(scope="module")
def day(db_url):
    """A healthy day with its SLA row, committed (GX reads through its own connections); removed after."""
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        write_day(conn, generate_day("healthy", DAY))
        targeted, _ = store.active_advisors(conn)
        row = sla_checkpoint(DAY, store.attempts(conn, DAY), targeted, 0, window.close(DAY, P), P)
        store.record_window_run(conn, {**row, "run_id": "test", "mode": "replay"})
        conn.commit()
    yield db_url
    with psycopg.connect(db_url) as conn:
        conn.execute("DELETE FROM platform.delivery_attempts WHERE delivery_date = %s", (DAY,))
        conn.execute("DELETE FROM delivery_ops.window_runs WHERE delivery_date = %s", (DAY,))


def validate(db_url: str, *names: str) -> dict[str, dict]:
    url = db_url.replace("postgresql://", "postgresql+psycopg2://", 1)
    return {r["suite"]: r for r in run_suites(names, DAY, suite_parameters(DAY, P), url)}


def change(db_url: str, sql: str, *params) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute(sql, params)


def test_suites_pass_on_a_healthy_day_and_name_what_breaks(day):
    got = validate(day, "delivery_attempts", "window_runs")
    assert got["delivery_attempts"]["success"] is True, got["delivery_attempts"]["failed_expectations"]
    assert got["window_runs"]["success"] is True, got["window_runs"]["failed_expectations"]
    assert got["delivery_attempts"]["evaluated"] == 12

    with psycopg.connect(day) as conn:
        first, second, third = conn.execute(
            "SELECT attempt_id, wamid FROM platform.delivery_attempts WHERE delivery_date = %s AND wamid IS NOT NULL "
            "ORDER BY attempt_id LIMIT 3",
            (DAY,),
        ).fetchall()
    try:
        change(
            day, "UPDATE platform.delivery_attempts SET wamid = %s WHERE attempt_id = %s", first[1], second[0]
        )
        change(
            day,
            "UPDATE platform.delivery_attempts SET attempted_at = attempted_at + interval '20 minutes', "
            "status_at = status_at + interval '20 minutes' WHERE attempt_id = %s",
            third[0],
        )
        broken = validate(day, "delivery_attempts")["delivery_attempts"]
    finally:
        change(
            day,
            "UPDATE platform.delivery_attempts SET wamid = %s WHERE attempt_id = %s",
            second[1],
            second[0],
        )
        change(
            day,
            "UPDATE platform.delivery_attempts SET attempted_at = attempted_at - interval '20 minutes', "
            "status_at = status_at - interval '20 minutes' WHERE attempt_id = %s",
            third[0],
        )
    assert broken["success"] is False
    assert broken["failed_expectations"] == [
        "expect_column_values_to_be_between(attempted_at)",
        "expect_column_values_to_be_unique(wamid)",
    ]
    by = {e["expectation"]: e for e in broken["details"]["expectations"]}
    assert by["expect_column_values_to_be_unique(wamid)"]["unexpected_count"] == 2
    assert by["expect_column_values_to_be_unique(wamid)"]["unexpected_sample"] == [first[1], first[1]]


def test_sla_row_inconsistent_with_the_attempts_fails_by_name(day):
    change(day, "UPDATE delivery_ops.window_runs SET attempts = attempts + 1 WHERE delivery_date = %s", DAY)
    try:
        got = validate(day, "window_runs")["window_runs"]
    finally:
        change(
            day, "UPDATE delivery_ops.window_runs SET attempts = attempts - 1 WHERE delivery_date = %s", DAY
        )
    assert got["failed_expectations"] == ["unexpected_rows_expectation(sla_inconsistent_with_attempts)"]


def test_a_suite_that_cannot_run_is_recorded_as_failed_with_its_error(day):
    got = validate(day.rsplit("/", 1)[0] + "/no_such_database", "window_runs")["window_runs"]
    assert got["success"] is False and got["failed_expectations"] == ["suite_not_run"]
    assert "no_such_database" in got["details"]["error"]


def test_day_views_are_empty_without_the_session_date(day):
    with psycopg.connect(day) as conn:
        assert conn.execute("SELECT count(*) FROM delivery_ops.dq_day_delivery_attempts").fetchone() == (0,)
        conn.execute("SELECT set_config('delivery_window.dq_date', %s, false)", (DAY.isoformat(),))
        n = conn.execute("SELECT count(*) FROM delivery_ops.dq_day_delivery_attempts").fetchone()[0]
        assert (
            n
            == conn.execute(
                "SELECT count(*) FROM platform.delivery_attempts WHERE delivery_date = %s", (DAY,)
            ).fetchone()[0]
        )


def test_sqlalchemy_url_from_an_airflow_connection():
    tcp = SimpleNamespace(host="db.internal", port=5433, login="ops", password="p@ss/word", schema="delivery")
    assert sqlalchemy_url(tcp) == "postgresql+psycopg2://ops:p%40ss%2Fword@db.internal:5433/delivery"
    socket = SimpleNamespace(host="/tmp/pg", port=5432, login="postgres", password="", schema="delivery")
    assert sqlalchemy_url(socket) == "postgresql+psycopg2://postgres@:5432/delivery?host=%2Ftmp%2Fpg"


def test_performance_trends_over_7_and_30_calendar_days(pg):
    apply_migrations(pg)
    pg.execute("DELETE FROM delivery_ops.window_runs")  # rolled back after the test
    base = dict(
        run_id="t",
        mode="replay",
        advisors_targeted=100,
        advisors_delivered=99,
        sla_target_pct=99.0,
        attempts=100,
        failed_attempts=1,
        error_rate_pct=1.0,
        p95_latency_ms=500,
        peak_rate_per_min=400,
        segments_processed=4,
        segments_expected=4,
        critical_alerts=0,
        measured_as_of=None,
    )
    last = date(2026, 10, 26)
    # 40 days back, 35 days back (outside 30), 10 days back (outside 7), then the last 3 days, one missed
    for back, sla in ((40, 50.0), (35, 60.0), (10, 90.0), (2, 99.5), (1, 97.0), (0, 99.9)):
        d = last - timedelta(days=back)
        store.record_window_run(
            pg,
            {
                **base,
                "delivery_date": d,
                "sla_pct": sla,
                "sla_met": sla >= 99,
                "status": "sla_met" if sla >= 99 else "sla_missed",
                "measured_as_of": f"{d}T06:07:00+05:30",
            },
        )
    row = store.performance_trend(pg, last)
    for n in P.post_delivery_verification.trend_windows_days:
        assert f"sla_pct_{n}d_avg" in row and f"days_{n}d" in row  # the view has every protocol window
    assert (row["days_7d"], row["days_30d"]) == (3, 4)
    assert float(row["sla_pct_7d_avg"]) == pytest.approx((99.5 + 97.0 + 99.9) / 3, abs=1e-3)
    assert float(row["sla_pct_30d_avg"]) == pytest.approx((90.0 + 99.5 + 97.0 + 99.9) / 4, abs=1e-3)
    assert (row["sla_missed_days_7d"], row["sla_missed_days_30d"]) == (1, 2)


def test_every_grafana_query_runs_on_the_report_schema(pg):
    import json

    from delivery_window.paths import INCLUDE_DIR

    apply_migrations(pg)
    dash = json.loads((INCLUDE_DIR / "grafana" / "delivery_window.json").read_text(encoding="utf-8"))
    queries = [t["rawSql"] for p in dash["panels"] for t in p["targets"]]
    queries += [a["rawQuery"] for a in dash["annotations"]["list"]]
    queries += [v["query"] for v in dash["templating"]["list"] if v["type"] == "query"]
    assert len(queries) == 17  # 14 panels, the alerts annotation, the delivery_date and days_back variables
    for sql in queries:  # Grafana substitutes its variables; here the test does
        pg.execute(sql.replace("${delivery_date}", DAY.isoformat())).fetchall()
