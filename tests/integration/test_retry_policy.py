"""The retry policy of calls and sends, against the sandbox's fault kinds (issue 7).

Probes (``JsonHttpHook``) retry a 429 once after its short ``Retry-After`` and nothing else; PagerDuty sends have
no network or 5xx retry in the call and one spaced 429 retry; the outbox leaves a failed channel alone for the rest
of a flush, and across flushes while a ``ChannelBackoff`` says so. Counting the sandbox's requests is the proof.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from delivery_window.connections import PAGERDUTY, SLACK_DELIVERY_OPS, SLACK_WAR_ROOM
from delivery_window.escalation import outbox
from delivery_window.hooks.base import ServiceError
from delivery_window.hooks.grafana import GrafanaHook
from delivery_window.hooks.pagerduty import DeliveryPagerdutyHook
from delivery_window.migrate import apply_migrations

pytestmark = pytest.mark.integration

DAY = date(2026, 7, 28)  # the fault suite's range (2026-07)


@pytest.fixture(scope="module")
def sb(wired_sandbox):
    with wired_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def fresh(sb):
    sb.set_faults(None)
    sb.clear()
    yield


def grafana() -> GrafanaHook:
    return GrafanaHook("grafana_api", timeout_seconds=1)


def test_a_429_is_retried_once_after_its_retry_after(sb, monkeypatch):
    import time

    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)  # the wait the hook asks for, without waiting
    sb.set_faults({"grafana": {"kind": "http_429", "retry_after": 1, "times": 1}})
    assert grafana().health()["database"] == "ok"
    assert [r["status"] for r in sb.requests("grafana")] == [429, 200]
    assert waits == [1.0]


def test_a_429_that_persists_is_recorded_after_one_retry(sb):
    sb.set_faults({"grafana": {"kind": "http_429", "retry_after": 1}})
    with pytest.raises(ServiceError, match=r"HTTP 429.*Retry-After: 1.*still 429 after one retry"):
        grafana().health()
    assert len(sb.requests("grafana")) == 2


def test_a_long_retry_after_is_not_waited_for(sb):
    sb.set_faults({"grafana": {"kind": "http_429", "retry_after": 120}})
    with pytest.raises(ServiceError, match=r"Retry-After: 120\)$"):
        grafana().health()
    assert len(sb.requests("grafana")) == 1


@pytest.mark.parametrize("kind", ["http_503", "refuse", "malformed"])
def test_other_faults_are_not_retried_in_the_call(sb, kind):
    sb.set_faults({"grafana": kind})
    with pytest.raises(ServiceError):
        grafana().health()
    assert len(sb.requests("grafana")) == 1


PAGERDUTY_ERRORS = {
    "http_503": r"pagerduty: POST http://127\.0\.0\.1:\d+/pagerduty/v2/enqueue: HTTP 503: ",
    "http_500": r"pagerduty: POST .*/v2/enqueue: HTTP 500: ",
    "refuse": r"pagerduty: POST .*/v2/enqueue: connection failed \(",
    "timeout": r"pagerduty: POST .*/v2/enqueue: no answer within 1 s$",
    "malformed": r"pagerduty: POST .*/v2/enqueue: HTTP 200 with a body that is not JSON: '\{\"status\"",
}


@pytest.mark.parametrize("kind", list(PAGERDUTY_ERRORS))
def test_a_pagerduty_send_fails_at_once_saying_how(sb, kind):
    sb.set_faults({"pagerduty": {"kind": kind, "seconds": 2}})
    hook = DeliveryPagerdutyHook(PAGERDUTY, timeout_seconds=1)
    with pytest.raises(ServiceError, match=PAGERDUTY_ERRORS[kind]):
        hook.send_event(summary="s", severity="critical", source="t", action="trigger", dedup_key="k")
    assert len(sb.requests("pagerduty")) == 1  # no sleeping through the client's own retries


def test_a_pagerduty_429_is_retried_once(sb):
    sb.set_faults({"pagerduty": {"kind": "http_429", "retry_after": 1, "times": 1}})
    hook = DeliveryPagerdutyHook(PAGERDUTY, timeout_seconds=1)
    hook.send_event(summary="s", severity="critical", source="t", action="trigger", dedup_key="k")
    assert [r["status"] for r in sb.requests("pagerduty")] == [429, 202]


def _queue(conn, n: int, channel: str) -> None:
    at = datetime(2026, 7, 28, 6, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    for i in range(n):
        outbox.enqueue(
            conn,
            DAY,
            dedup_key=f"policy:{channel}:{i}",
            channel=channel,
            kind="slack_message",
            payload={"text": f"m{i}"},
            at=at,
        )
    conn.commit()


def test_a_failed_channel_is_left_alone_for_the_flush_and_while_backing_off(db_url):
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        conn.execute("DELETE FROM delivery_ops.notifications WHERE delivery_date = %s", (DAY,))
        _queue(conn, 3, SLACK_WAR_ROOM)
        _queue(conn, 2, SLACK_DELIVERY_OPS)
        tried: list[str] = []
        up = {SLACK_DELIVERY_OPS}

        def sender(channel, kind, payload):
            tried.append(channel)
            if channel not in up:
                raise ConnectionResetError(104, "Connection reset by peer")

        first = outbox.flush(conn, DAY, sender=sender)  # one try of the war room, both ops posts go
        assert tried.count(SLACK_WAR_ROOM) == 1 and first.sent == 2 and first.deferred == 2
        assert len(first.failed) == 1
        errors = conn.execute(
            "SELECT last_error, attempts FROM delivery_ops.notifications WHERE delivery_date = %s "
            "AND status = 'pending' ORDER BY dedup_key",
            (DAY,),
        ).fetchall()
        assert errors == [
            ("ConnectionResetError: [Errno 104] Connection reset by peer", 1),
            *[
                ("not tried: slack_war_room had just failed (ConnectionResetError: [Errno 104] Connection reset "
                 "by peer)", 0)
            ] * 2,
        ]  # fmt: skip

        clock = [0.0]
        backoff = outbox.ChannelBackoff(seconds=40, clock=lambda: clock[0])
        tried.clear()
        outbox.flush(conn, DAY, sender=sender, backoff=backoff)
        outbox.flush(conn, DAY, sender=sender, backoff=backoff)  # still backing off: not tried
        assert tried == [SLACK_WAR_ROOM]
        up.add(SLACK_WAR_ROOM)
        clock[0] = 41
        later = outbox.flush(conn, DAY, sender=sender, backoff=backoff)
        assert later.sent == 3 and later.deferred == 0
        statuses = conn.execute(
            "SELECT status, count(*) FROM delivery_ops.notifications WHERE delivery_date = %s GROUP BY 1",
            (DAY,),
        ).fetchall()
        assert statuses == [("sent", 5)]


def test_the_backoff_is_the_longer_of_retry_after_and_its_own():
    clock = [100.0]
    backoff = outbox.ChannelBackoff(seconds=40, clock=lambda: clock[0])
    err = ServiceError("delivery_service", "http_status", "HTTP 429", status=429, retry_after=90)
    backoff.failed("c", outbox.retry_after_of(err))  # a Retry-After longer than the backoff is honoured
    clock[0] = 189.9
    assert backoff.waiting("c")
    clock[0] = 190.0
    assert not backoff.waiting("c")
    backoff.failed("c", 1.0)  # a shorter one does not make the channel be hammered
    clock[0] = 229.9
    assert backoff.waiting("c")
