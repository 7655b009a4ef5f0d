"""The outbox keeps the record true: claim → send → mark, a run touches only its own messages (issue 15).

Against the real PostgreSQL. Dates 2026-09-20 … 2026-09-25 are this file's. An evaluation's schema is built by the
same migrations (``apply_migrations(schema=...)``) as a replay's ``migrate_report_schema`` builds it.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from delivery_window import scope
from delivery_window.escalation import outbox
from delivery_window.migrate import apply_migrations

IST = ZoneInfo("Asia/Kolkata")


def at(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=IST)


@pytest.fixture
def conn(db_url):
    with psycopg.connect(db_url) as c:
        apply_migrations(c)
        yield c
    scope.enter(scope.RECORD)


def evaluation(conn, day: date, *, send: bool) -> scope.RunScope:
    """An evaluation of ``day`` with its schema built, entered as the running scope."""
    run = scope.evaluation_scope(day, f"test__{day}__{send}", send=send)
    apply_migrations(conn, schema=run.schema)
    scope.enter(run)
    return run


def statuses(conn, day: date, schema: str = "delivery_ops") -> dict[str, str]:
    rows = conn.execute(
        f"SELECT dedup_key, status FROM {schema}.notifications WHERE delivery_date = %s",  # noqa: S608
        (day,),
    ).fetchall()
    conn.commit()
    return dict(rows)


def queue(conn, day: date, *keys: str, kind: str = "slack_message") -> None:
    for key in keys:
        outbox.enqueue(
            conn, day, dedup_key=key, channel="c", kind=kind, payload={"text": key}, at=at(day, "06:01")
        )
    conn.commit()


def fresh(conn, day: date) -> None:
    """Clear the day (dedup keys are unique across days: every test uses keys of its own)."""
    conn.execute("DELETE FROM delivery_ops.notifications WHERE delivery_date = %s", (day,))
    conn.commit()


class Sent(list):
    def __call__(self, channel, kind, payload):
        self.append((kind, payload["text"]))


def test_a_dry_run_replay_leaves_the_records_pending_pages_alone(conn):
    """Finding 1: a dry-run replay moved 24 real pending messages to dry_run; the follow-up then sent 5 of 29."""
    day = date(2026, 9, 20)
    fresh(conn, day)
    queue(conn, day, "page-1", "page-2", "post-1")  # the record's, still pending (Slack/PagerDuty were down)

    run = evaluation(conn, day, send=False)
    queue(
        conn, day, "page-1", "page-2", "post-1", "eval-only"
    )  # the replay plans the same messages and one more
    sent = Sent()
    result = outbox.flush(conn, day, sender=sent)
    assert sent == [] and result.dry_run == 4
    assert statuses(conn, day, run.schema) == dict.fromkeys(
        ["page-1", "page-2", "post-1", "eval-only"], "dry_run"
    )
    assert statuses(conn, day) == dict.fromkeys(["page-1", "page-2", "post-1"], "pending")  # untouched

    scope.enter(scope.RECORD)  # the services are back: the record's own flush sends every one of its messages
    outbox.flush(conn, day, sender=sent)
    assert sorted(sent) == [
        ("slack_message", "page-1"),
        ("slack_message", "page-2"),
        ("slack_message", "post-1"),
    ]
    assert statuses(conn, day) == dict.fromkeys(["page-1", "page-2", "post-1"], "sent")


def test_an_evaluation_asked_to_send_sends_only_what_the_record_never_had(conn):
    day = date(2026, 9, 21)
    fresh(conn, day)
    queue(conn, day, "sent-by-record", "pending-in-record")
    conn.execute("UPDATE delivery_ops.notifications SET status = 'sent' WHERE dedup_key = 'sent-by-record'")
    conn.commit()

    run = evaluation(conn, day, send=True)
    queue(conn, day, "sent-by-record", "pending-in-record", "new-finding")
    sent = Sent()
    outbox.flush(conn, day, sender=sent)
    assert sent == [("slack_message", "new-finding")]
    assert statuses(conn, day, run.schema) == {
        "sent-by-record": "in_record",
        "pending-in-record": "in_record",  # the record sends it itself when its channel is back
        "new-finding": "sent",
    }
    assert statuses(conn, day) == {"sent-by-record": "sent", "pending-in-record": "pending"}


def test_the_claim_is_committed_before_the_send_and_no_lock_is_held_while_sending(conn, db_url):
    day = date(2026, 9, 22)
    fresh(conn, day)
    queue(conn, day, "claimed-k1")
    seen: list[tuple] = []

    def look(channel, kind, payload):  # from another connection, while the message is going out
        with psycopg.connect(db_url) as other:
            other.execute("SET lock_timeout = '200ms'")
            seen.append(
                other.execute(
                    "SELECT status, claimed_by IS NOT NULL FROM delivery_ops.notifications "
                    "WHERE dedup_key = 'claimed-k1' FOR UPDATE NOWAIT"
                ).fetchone()
            )

    outbox.flush(conn, day, sender=look)
    assert seen == [("sending", True)]  # claimed on record, and the row not locked by the sender
    assert statuses(conn, day) == {"claimed-k1": "sent"}


def test_a_database_lost_right_after_a_send_does_not_send_it_again(conn, db_url):
    """Finding 3: the post arrived, marking it failed, the retry re-posted it."""
    day = date(2026, 9, 23)
    fresh(conn, day)
    queue(conn, day, "opened")
    pid = conn.info.backend_pid
    sent = Sent()

    def send_then_lose_the_database(channel, kind, payload):
        sent(channel, kind, payload)
        with psycopg.connect(db_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(psycopg.OperationalError):
        outbox.flush(conn, day, sender=send_then_lose_the_database)
    with psycopg.connect(db_url) as again:  # what the monitor does: a new connection, the next tick's flush
        assert statuses(again, day) == {"opened": "sending"}
        outbox.flush(again, day, sender=sent)
        assert statuses(again, day) == {"opened": "sent"}
    assert sent == [("slack_message", "opened")]  # once


def test_a_send_whose_sender_died_is_sent_again_after_the_lease_and_a_slack_post_says_so(conn):
    day = date(2026, 9, 24)
    fresh(conn, day)
    queue(conn, day, "post")
    queue(conn, day, "page", kind="pagerduty_event")
    conn.execute(
        "UPDATE delivery_ops.notifications SET status = 'sending', claimed_at = now() - interval '1 hour' "
        "WHERE delivery_date = %s",
        (day,),
    )
    queue(conn, day, "fresh-claim")
    conn.execute(
        "UPDATE delivery_ops.notifications SET status = 'sending', claimed_at = now() WHERE dedup_key = 'fresh-claim'"
    )
    conn.commit()
    sent = Sent()
    outbox.flush(conn, day, sender=sent)
    assert sorted(sent) == [
        ("pagerduty_event", "page"),  # same payload: PagerDuty dedups by its key
        ("slack_message", outbox.UNCONFIRMED_PREFIX + "post"),
    ]
    assert statuses(conn, day) == {
        "post": "sent",
        "page": "sent",
        "fresh-claim": "sending",
    }  # within its lease


def test_an_evaluation_never_writes_the_record_schema(conn):
    day = date(2026, 9, 25)
    run = evaluation(conn, day, send=False)
    assert scope.rewrite("SELECT 1 FROM delivery_ops.alerts", "select_alerts") == (
        f"SELECT 1 FROM {run.schema}.alerts"  # noqa: S608
    )
    assert scope.rewrite("SELECT 1 FROM delivery_ops.silences", "select_silences") == (
        "SELECT 1 FROM delivery_ops.silences"  # planned maintenance is read from the record
    )
    tables = {
        t
        for (t,) in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (run.schema,)
        ).fetchall()
    }
    assert {"alerts", "notifications", "check_results", "window_runs", "escalations"} <= tables
