"""The monitor loop against real PostgreSQL: replay equals live, resume after a retry, database failures, and a
live run that observes a template change and pushes Datadog gauges to the sandbox.

Live runs use a fake clock (``now``/``sleep`` injected): the window's 42 ticks take well under a second.
Dates 2026-10-17 .. 2026-10-19 belong to these tests.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from delivery_window import window
from delivery_window.connections import sandbox_connections
from delivery_window.escalation import keys
from delivery_window.migrate import apply_migrations
from delivery_window.monitor import loop, metrics, source
from delivery_window.protocol import get_protocol
from delivery_window.sandbox.scenarios import generate_day, write_day
from delivery_window.sandbox.server import Sandbox

P = get_protocol()
SAME_DATA_DAY = date(2026, 10, 17)
DB_FAILURE_DAY = date(2026, 10, 18)
TEMPLATE_DAY = date(2026, 10, 19)
DB_AND_BURST_DAY = date(2026, 9, 20)
_REPORT_TABLES = (
    "metric_ticks",
    "alerts",
    "notifications",
    "escalations",
    "incidents",
    "template_observations",
)


class FakeClock:
    """``now``/``sleep`` for a live run: sleeping moves the clock; ``at`` hooks run when it passes an instant."""

    def __init__(self, start: datetime) -> None:
        self.t = start
        self.hooks: list[tuple[datetime, object]] = []

    def now(self) -> datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)
        for when, fn in list(self.hooks):
            if self.t >= when:
                self.hooks.remove((when, fn))
                fn()


def prepare(db_url: str, scenario: str, day: date) -> None:
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        write_day(conn, generate_day(scenario, day))
        for table in _REPORT_TABLES:
            conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date = %s", (day,))  # noqa: S608
        conn.commit()


def clear_report(db_url: str, day: date, keep: tuple[str, ...] = ()) -> None:
    with psycopg.connect(db_url) as conn:
        for table in _REPORT_TABLES:
            if table not in keep:
                conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date = %s", (day,))  # noqa: S608
        conn.commit()


def outcome(db_url: str, day: date) -> dict:
    """Everything a run decided: ticks, alerts (with their first firing), messages and their keys."""
    with psycopg.connect(db_url) as conn:
        q = lambda sql: conn.execute(sql, (day,)).fetchall()  # noqa: E731
        return {
            "ticks": q(
                "SELECT tick_at, scope, attempts, resolved, delivered, failed, success_rate_pct, error_rate_pct, "
                "rate_per_min, p95_latency_ms FROM delivery_ops.metric_ticks WHERE delivery_date = %s ORDER BY 1, 2"
            ),
            "alerts": q(
                "SELECT rule, scope, severity, first_fired_at, last_seen_at, dedup_key, details "
                "FROM delivery_ops.alerts WHERE delivery_date = %s ORDER BY 1, 2"
            ),
            "messages": q(
                "SELECT dedup_key, channel, kind, payload, created_at FROM delivery_ops.notifications "
                "WHERE delivery_date = %s ORDER BY 1"
            ),
        }


def run(db_url: str, day: date, **kw) -> loop.MonitorSummary:
    """One monitor run as the Airflow task runs it (a new connection from ``connect`` after a failure)."""
    kw.setdefault("push_series", None)
    kw.setdefault("poll_templates", None)
    opened = []

    def connect():
        opened.append(psycopg.connect(db_url))
        return opened[-1]

    kw.setdefault("connect", connect)
    try:
        with psycopg.connect(db_url) as conn:
            return loop.run_monitor(conn, day, P, dry_run=kw.pop("dry_run", True), **kw)
    finally:
        for c in opened:
            c.close()


def live_clock(day: date) -> FakeClock:
    return FakeClock(window.at(day, "delivery_start"))


@pytest.fixture(scope="module")
def same_data_replay(db_url):
    prepare(db_url, "failure_burst", SAME_DATA_DAY)
    summary = run(db_url, SAME_DATA_DAY)
    return summary, outcome(db_url, SAME_DATA_DAY)


def test_replay_equals_live_on_the_same_data(db_url, same_data_replay):
    replay_summary, replay = same_data_replay
    assert replay_summary.mode == "replay"
    clear_report(db_url, SAME_DATA_DAY)
    clock = live_clock(SAME_DATA_DAY)
    live_summary = run(db_url, SAME_DATA_DAY, now=clock.now, sleep=clock.sleep)
    assert live_summary.mode == "live"
    live = outcome(db_url, SAME_DATA_DAY)
    assert live["ticks"] == replay["ticks"] and len(replay["ticks"]) > 42
    assert live["alerts"] == replay["alerts"]
    assert [m[0] for m in live["messages"]] == [m[0] for m in replay["messages"]]
    assert live["messages"] == replay["messages"]
    assert {a[0] for a in replay["alerts"]} == {
        "failure_rate_2m",
        "success_rate_below_98",
        "error_rate_above_2pct",
    }
    # live ticks were evaluated settle_seconds after their instant, never before
    assert clock.t >= window.close(SAME_DATA_DAY, P) + timedelta(seconds=P.monitor.settle_seconds)


def test_rows_written_after_the_read_of_their_time_are_read_by_id_and_count_once(
    db_url, same_data_replay, monkeypatch
):
    """Attempts of 06:01:57-06:02:00 are written only after the 06:02:00 tick's read (06:02:01): the next tick
    sees their ids among the receipts it re-reads, reads them in full by id, and the day ends as the replay."""
    _, replay = same_data_replay
    day, start = SAME_DATA_DAY, window.at(SAME_DATA_DAY, "delivery_start")
    span = (start + timedelta(seconds=117), start + timedelta(seconds=120))
    clear_report(db_url, day)
    with psycopg.connect(db_url) as conn:
        cur = conn.execute(
            "DELETE FROM platform.delivery_attempts WHERE delivery_date = %s AND attempted_at > %s "
            "AND attempted_at <= %s RETURNING *",
            (day, *span),
        )
        cols, late = [d.name for d in cur.description], cur.fetchall()
        conn.commit()
    assert len(late) >= 10

    def write_late():
        with psycopg.connect(db_url) as conn, conn.cursor() as c:
            c.executemany(
                f"INSERT INTO platform.delivery_attempts ({', '.join(cols)}) "  # noqa: S608
                f"VALUES ({', '.join(['%s'] * len(cols))})",
                late,
            )
            conn.commit()

    by_id = []
    real = source.read_attempts
    monkeypatch.setattr(
        source, "read_attempts", lambda conn, d, ids: by_id.append(len(ids)) or real(conn, d, ids)
    )
    clock = live_clock(day)
    clock.hooks.append((start + timedelta(seconds=121, milliseconds=500), write_late))
    summary = run(db_url, day, now=clock.now, sleep=clock.sleep)
    assert summary.mode == "live" and by_id == [len(late)]
    live = outcome(db_url, day)
    last = max(t for t, *_ in replay["ticks"])
    assert [r for r in live["ticks"] if r[0] == last] == [r for r in replay["ticks"] if r[0] == last]

    def overall_attempts(ticks, at):
        return next(r[2] for r in ticks if r[0] == at and r[1] == "overall")

    at_0200, at_0210 = span[1], span[1] + timedelta(seconds=10)
    assert overall_attempts(live["ticks"], at_0200) == overall_attempts(replay["ticks"], at_0200) - len(late)
    assert overall_attempts(live["ticks"], at_0210) == overall_attempts(replay["ticks"], at_0210)


def test_a_retried_live_monitor_resumes_after_its_last_tick_and_ends_the_same(db_url, same_data_replay):
    _, replay = same_data_replay
    clear_report(db_url, SAME_DATA_DAY)
    clock = live_clock(SAME_DATA_DAY)
    calls = iter(range(10**6))
    first = run(db_url, SAME_DATA_DAY, now=clock.now, sleep=clock.sleep, stop=lambda: next(calls) >= 15)
    assert first.ticks == 15  # the task was killed after 15 ticks ...
    with psycopg.connect(db_url) as conn:
        mark = source.watermark(conn, SAME_DATA_DAY)
    assert mark == metrics.tick_times(SAME_DATA_DAY, P)[14]
    clock.sleep(40)  # ... and retried 40 s later, still inside the window
    second = run(db_url, SAME_DATA_DAY, now=clock.now, sleep=clock.sleep)
    assert second.mode == "live" and second.resumed_after == mark
    assert second.ticks == len(metrics.tick_times(SAME_DATA_DAY, P)) - 15
    assert outcome(db_url, SAME_DATA_DAY) == replay
    third = run(
        db_url, SAME_DATA_DAY
    )  # a replay afterwards recomputes every tick: same rows, nothing sent again
    assert third.mode == "replay" and third.resumed_after is None and third.alerts_fired == []
    assert outcome(db_url, SAME_DATA_DAY) == replay


def test_a_resumed_monitor_reports_the_peak_rate_of_the_ticks_before_its_retry(db_url, same_data_replay):
    clear_report(db_url, SAME_DATA_DAY)
    clock = live_clock(SAME_DATA_DAY)
    calls = iter(range(10**6))
    run(db_url, SAME_DATA_DAY, now=clock.now, sleep=clock.sleep, stop=lambda: next(calls) >= 15)
    early = metrics.tick_times(SAME_DATA_DAY, P)[7]
    with psycopg.connect(db_url) as conn:  # the day's peak came before the retry
        conn.execute(
            "UPDATE delivery_ops.metric_ticks SET rate_per_min = 98765 "
            "WHERE delivery_date = %s AND scope = 'overall' AND tick_at = %s",
            (SAME_DATA_DAY, early),
        )
        conn.commit()
    clock.sleep(40)
    run(db_url, SAME_DATA_DAY, now=clock.now, sleep=clock.sleep)
    with psycopg.connect(db_url) as conn:
        (payload,) = conn.execute(
            "SELECT payload FROM delivery_ops.notifications WHERE delivery_date = %s AND dedup_key = %s",
            (SAME_DATA_DAY, keys.status_key(SAME_DATA_DAY, "closed")),
        ).fetchone()
    assert "peak 98,765/min" in json.dumps(payload)


def test_live_burst_written_during_the_window_pages_at_the_next_tick(db_url, monkeypatch):
    """Rows arrive while the monitor runs: the burst is written at 06:02:03 and paged at the 06:02:10 tick."""
    day = SAME_DATA_DAY
    prepare(db_url, "healthy", day)
    burst = [r for r in generate_day("failure_burst", day).delivery_attempts if r.status == "failed"]
    with psycopg.connect(db_url) as conn:  # the healthy day without its attempts from 06:02:00
        conn.execute(
            "DELETE FROM platform.delivery_attempts WHERE delivery_date = %s AND attempted_at >= %s",
            (day, window.at(day, "delivery_start") + timedelta(minutes=2)),
        )
        conn.commit()

    def write_burst():
        with psycopg.connect(db_url) as conn, conn.cursor() as cur:
            fields = burst[0]._fields
            for r in burst:
                if r.attempted_at < window.at(day, "delivery_start") + timedelta(minutes=2, seconds=5):
                    cur.execute(
                        f"INSERT INTO platform.delivery_attempts ({', '.join(fields)}) "  # noqa: S608
                        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING",
                        tuple(r),
                    )
            conn.commit()

    clock = live_clock(day)
    clock.hooks.append((window.at(day, "delivery_start") + timedelta(minutes=2, seconds=3), write_burst))
    sent = []  # (clock time, channel, kind, payload): what left the outbox, and when
    real_send = loop.announce.send_pending
    monkeypatch.setattr(
        loop.announce,
        "send_pending",
        lambda conn, day, dry_run=False, backoff=None: real_send(
            conn, day, dry_run=dry_run, sender=lambda *a: sent.append((clock.now(), *a)), backoff=backoff
        ),
    )
    # one route out: every message of the live window is queued from the escalation package, nowhere else
    from delivery_window.escalation import outbox

    real_enqueue, queued_by = outbox.enqueue, set()

    def spy(*args, **kwargs):
        queued_by.add(sys._getframe(1).f_globals["__name__"])
        return real_enqueue(*args, **kwargs)

    monkeypatch.setattr(outbox, "enqueue", spy)
    summary = run(db_url, day, now=clock.now, sleep=clock.sleep, dry_run=False)
    assert queued_by and all(m.startswith("delivery_window.escalation.") for m in queued_by), queued_by
    assert summary.mode == "live" and "failure_rate_2m" in summary.alerts_fired
    tick = window.at(day, "delivery_start") + timedelta(minutes=2, seconds=10)
    page_sent = [
        t for t, _, kind, payload in sent if kind == "pagerduty_event" and "failure_rate_2m" in str(payload)
    ]
    # sent by the tick that fired it (read at tick + settle), before the next tick: during the window, once
    assert len(page_sent) == 1 and tick < page_sent[0] < tick + timedelta(seconds=P.monitor.tick_seconds)
    with psycopg.connect(db_url) as conn:
        fired_at, created_at = conn.execute(
            "SELECT a.first_fired_at, n.created_at FROM delivery_ops.alerts a JOIN delivery_ops.notifications n "
            "ON n.payload->>'dedup_key' = %s AND n.kind = 'pagerduty_event' "
            "WHERE a.delivery_date = %s AND a.rule = 'failure_rate_2m'",
            (keys.page_key(keys.incident_id(day, "delivery_failure")), day),
        ).fetchone()
    assert fired_at == created_at == window.at(day, "delivery_start") + timedelta(minutes=2, seconds=10)


def database_away(monkeypatch, day: date) -> tuple[tuple[datetime, datetime], list]:
    """Every read of the ticks 06:02:00 .. 06:02:40 refused (five ticks), and every send recorded instead of made:
    returns (the span the database was away, the sends)."""
    start = window.at(day, "delivery_start")
    down = (start + timedelta(minutes=2), start + timedelta(minutes=2, seconds=40))
    real_read = source.iter_changes
    refused = iter(range(5))

    def flaky(conns, day, lo, t, lo_status, **kw):
        if down[0] <= t <= down[1] and next(refused, None) is not None:
            raise psycopg.OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
        return real_read(conns, day, lo, t, lo_status, **kw)

    monkeypatch.setattr(source, "iter_changes", flaky)
    sent = []
    monkeypatch.setattr(loop.outbox, "send_via_providers", lambda *a: sent.append(a))
    real_send = loop.announce.send_pending
    monkeypatch.setattr(
        loop.announce,
        "send_pending",
        lambda conn, day, dry_run=False, backoff=None: real_send(
            conn, day, dry_run=dry_run, sender=lambda *a: sent.append(a), backoff=backoff
        ),
    )
    return down, sent


def test_database_failures_fire_sev1_and_page_directly(db_url, monkeypatch):
    prepare(db_url, "healthy", DB_FAILURE_DAY)
    start = window.at(DB_FAILURE_DAY, "delivery_start")
    down, sent = database_away(monkeypatch, DB_FAILURE_DAY)
    with psycopg.connect(db_url) as conn:
        reconnects = []

        def reconnect():
            reconnects.append(psycopg.connect(db_url))
            return reconnects[-1]

        summary = loop.run_monitor(
            conn, DB_FAILURE_DAY, P, dry_run=False, connect=reconnect, push_series=None, poll_templates=None,
            sleep=lambda s: None,
        )  # fmt: skip
        for c in reconnects:
            c.close()
    assert summary.db_failures == 5 and len(reconnects) == 5  # a new connection after each failed read
    with psycopg.connect(db_url) as conn:
        alerts = conn.execute(
            "SELECT rule, severity, first_fired_at FROM delivery_ops.alerts WHERE delivery_date = %s",
            (DB_FAILURE_DAY,),
        ).fetchall()
        assert alerts == [("db_connection_failures", "severity_1", start + timedelta(minutes=2, seconds=30))]
        # paged while the database was down (directly), then recorded as sent so no flush repeats it
        incident = keys.incident_id(DB_FAILURE_DAY, "database_emergency")
        assert [a[2]["dedup_key"] for a in sent if a[1] == "pagerduty_event"] == [
            keys.page_key(incident)
        ]  # once: never re-flushed
        stamp = (start + timedelta(minutes=2, seconds=30)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        page, post = (keys.group_message_key(incident, stamp, c) for c in ("pagerduty", "critical_incidents"))
        status = dict(
            conn.execute(
                "SELECT dedup_key, status FROM delivery_ops.notifications WHERE dedup_key IN (%s, %s)",
                (page, post),
            ).fetchall()
        )
        assert status == {page: "sent", post: "sent"}
        ledger = dict(
            conn.execute(
                "SELECT dedup_key, status FROM delivery_ops.escalations WHERE dedup_key IN (%s, %s)",
                (page, post),
            ).fetchall()
        )
        assert ledger == status  # on the ledger too: one route, even when the database was away
        backfilled = conn.execute(
            "SELECT count(*) FROM delivery_ops.metric_ticks WHERE delivery_date = %s AND scope = 'overall' "
            "AND tick_at BETWEEN %s AND %s",
            (DB_FAILURE_DAY, *down),
        ).fetchone()[0]
        assert backfilled == 5  # the missed ticks, evaluated as of their instants once the database was back
        last = conn.execute(
            "SELECT attempts FROM delivery_ops.metric_ticks WHERE delivery_date = %s AND scope = 'overall' "
            "ORDER BY tick_at DESC LIMIT 1",
            (DB_FAILURE_DAY,),
        ).fetchone()[0]
        assert last == len(generate_day("healthy", DB_FAILURE_DAY).delivery_attempts)  # nothing lost


def test_a_burst_after_a_database_page_needs_the_secondary(db_url, monkeypatch):
    """Two systems: the database paged directly while away, then the burst's page once it is back. Step 5 counts
    the database incident too (as level 2's multi-system condition does)."""
    prepare(db_url, "failure_burst", DB_AND_BURST_DAY)
    database_away(monkeypatch, DB_AND_BURST_DAY)
    run(
        db_url, DB_AND_BURST_DAY, dry_run=False, connect=lambda: psycopg.connect(db_url), sleep=lambda s: None
    )
    with psycopg.connect(db_url) as conn:
        fired = dict(conn.execute(
            "SELECT rule, severity FROM delivery_ops.alerts WHERE delivery_date = %s", (DB_AND_BURST_DAY,)
        ).fetchall())  # fmt: skip
        (timeline,) = conn.execute(
            "SELECT timeline FROM delivery_ops.incidents WHERE incident_id = %s",
            (f"{DB_AND_BURST_DAY}:delivery_failure",),
        ).fetchone()
    assert fired["db_connection_failures"] == "severity_1" and fired["failure_rate_2m"] == "immediate_page"
    needed = [e for e in timeline if e["step"] == "page_secondary_engineer_if_needed"]
    assert len(needed) == 1 and needed[0]["state"] == "needed"


@pytest.fixture
def sandbox(db_url, monkeypatch):
    sb = Sandbox("healthy").start()
    conns = sandbox_connections(sb.url, db_url, "redis://127.0.0.1:6379/0")
    for conn_id, value in conns.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value)
    yield sb
    sb.stop()


def test_live_monitor_records_a_template_change_and_pushes_datadog_gauges(db_url, sandbox):
    prepare(db_url, "healthy", TEMPLATE_DAY)
    clock = live_clock(TEMPLATE_DAY)
    switch_at = window.at(TEMPLATE_DAY, "delivery_start") + timedelta(minutes=2, seconds=30)
    clock.hooks.append((switch_at, lambda: sandbox.set_scenario("template_paused_in_window")))
    with psycopg.connect(db_url) as conn:
        summary = loop.run_monitor(conn, TEMPLATE_DAY, P, dry_run=False, now=clock.now, sleep=clock.sleep)
    assert (
        summary.mode == "live"
        and summary.datadog_pushed == summary.ticks == 42
        and summary.datadog_failed == 0
    )

    series = [r for r in sandbox.requests("datadog") if r["path"] == "/datadog/api/v2/series"]
    assert len(series) == 42 and {r["status"] for r in series} == {202}
    assert series[0]["headers"]["dd-api-key"] == "***"
    gauges = {s["metric"] for r in series for s in r["json"]["series"]}
    assert "delivery_window.success_rate_pct" in gauges and "delivery_window.p95_latency_ms" in gauges

    polls = [r for r in sandbox.requests("whatsapp") if r["path"].endswith("/message_templates")]
    assert len(polls) == 7  # every template_poll_seconds (60 s) over the 7 minutes
    with psycopg.connect(db_url) as conn:
        alerts = conn.execute(
            "SELECT rule, scope, severity, first_fired_at FROM delivery_ops.alerts WHERE delivery_date = %s "
            "ORDER BY scope",
            (TEMPLATE_DAY,),
        ).fetchall()
        observed = conn.execute(
            "SELECT template_name, language, status FROM delivery_ops.template_observations "
            "WHERE delivery_date = %s AND status = 'PAUSED' ORDER BY 2",
            (TEMPLATE_DAY,),
        ).fetchall()
        timeline = conn.execute(
            "SELECT timeline FROM delivery_ops.incidents WHERE incident_id = %s",
            (f"{TEMPLATE_DAY}:whatsapp_quality_recovery",),
        ).fetchone()[0]
    first_poll_after_switch = window.at(TEMPLATE_DAY, "delivery_start") + timedelta(minutes=3, seconds=10)
    assert alerts == [
        ("template_status_change", f"template:daily_brief_seg2:{lang}", "severity_2", first_poll_after_switch)
        for lang in ("en", "hi")
    ]
    assert observed == [("daily_brief_seg2", "en", "PAUSED"), ("daily_brief_seg2", "hi", "PAUSED")]
    steps = [e["step"] for e in timeline]
    assert "alert:template_status_change:template:daily_brief_seg2:en" in steps
    assert {
        "implement_targeted_workaround",
        "document_incident_timeline",
        "investigate_root_cause_immediately",
    } <= set(steps)
    war_room = [json.dumps(r["json"]) for r in sandbox.requests("slack") if "war-room" in r["path"]]
    # the two alerts of one incident and one tick: one grouped post naming both
    assert len(war_room) == 1 and all(f"daily_brief_seg2:{lang}" in war_room[0] for lang in ("en", "hi"))

    # A replay of the day (the API no longer tells what it said then) reaches the same alerts from the records.
    clear_report(db_url, TEMPLATE_DAY, keep=("template_observations",))
    replay = run(db_url, TEMPLATE_DAY)
    assert replay.mode == "replay" and sorted(replay.alerts_fired) == ["template_status_change"] * 2
    with psycopg.connect(db_url) as conn:
        again = conn.execute(
            "SELECT rule, scope, severity, first_fired_at FROM delivery_ops.alerts WHERE delivery_date = %s "
            "ORDER BY scope",
            (TEMPLATE_DAY,),
        ).fetchall()
    assert again == alerts
