"""Runbook actions through the ledger, on the real PostgreSQL and the sandbox (issue 15, finding 2).

Three runs of the outage day each POSTed /delivery/v1/requeue with the same 1,160 advisor ids and no idempotency
key. Here: the key goes out as ``Idempotency-Key``, a rerun is answered from the ledger, two runs at once act
once, a failed request is retried under the same key, and an evaluation never acts. Dates 2026-09-26 … 2026-09-29.
"""

from __future__ import annotations

import threading
from datetime import date

import psycopg
import pytest

from delivery_window import scope
from delivery_window.connections import DELIVERY_SERVICE, sandbox_connections
from delivery_window.escalation.actions import ActionLedger, ActionNotPerformed, action_key
from delivery_window.hooks.base import ServiceError
from delivery_window.hooks.delivery_service import DeliveryServiceHook
from delivery_window.migrate import apply_migrations
from delivery_window.sandbox.server import Sandbox

BODY = {"advisor_ids": ["ADV-1", "ADV-2"], "exclude_phone_number_ids": []}


@pytest.fixture
def world(db_url, monkeypatch):
    """The report database as ``delivery_db`` and a sandbox as ``delivery_service``."""
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
    with Sandbox(scenario="whatsapp_outage").start() as sandbox:
        for conn_id, uri in sandbox_connections(sandbox.url, db_url, "redis://127.0.0.1:6379/0").items():
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", uri)
        yield sandbox
    scope.enter(scope.RECORD)


def requeue(day: date) -> dict:
    """What ``requeue_failed_deliveries`` does: one POST of its step, through the step's ledger."""
    hook = DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=5)
    hook.ledger = ActionLedger(day, "delivery_failure", "requeue_failed_deliveries", lease_seconds=5)
    return hook.post("v1/requeue", {"delivery_date": day.isoformat(), **BODY})


def posts(sandbox) -> list[dict]:
    return [r for r in sandbox.requests("delivery") if r["method"] == "POST"]


def ledger_row(db_url, key: str) -> tuple:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT status, asks FROM delivery_ops.actions WHERE idempotency_key = %s", (key,)
        ).fetchone()


def test_a_rerun_is_answered_from_the_ledger_and_the_ask_is_recorded(world, db_url):
    day = date(2026, 9, 26)
    first = requeue(day)
    again = requeue(day)
    key = action_key(day, "delivery_failure", "requeue_failed_deliveries", "v1/requeue")
    assert again == first
    sent = posts(world)
    assert len(sent) == 1 and sent[0]["headers"]["idempotency-key"] == key
    status, asks = ledger_row(db_url, key)
    assert status == "done" and [a["outcome"] for a in asks] == ["performed", "answered"]


def test_two_runs_at_once_act_once(world, db_url):
    day = date(2026, 9, 27)
    answers: list[dict] = []
    runs = [threading.Thread(target=lambda: answers.append(requeue(day))) for _ in range(2)]
    for r in runs:
        r.start()
    for r in runs:
        r.join(20)
    assert len(answers) == 2 and answers[0] == answers[1]
    assert len(posts(world)) == 1


def test_a_failed_action_is_retried_under_the_same_key(world, db_url):
    day = date(2026, 9, 28)
    world.set_faults({"delivery": {"kind": "http_500", "times": 1}})
    with pytest.raises(ServiceError):
        requeue(day)
    key = action_key(day, "delivery_failure", "requeue_failed_deliveries", "v1/requeue")
    assert ledger_row(db_url, key)[0] == "failed"
    requeue(day)
    keys = [r["headers"].get("idempotency-key") for r in posts(world)]
    assert keys == [key, key] and ledger_row(db_url, key)[0] == "done"


def test_an_evaluation_never_acts_and_answers_with_what_the_record_got(world, db_url):
    day = date(2026, 9, 29)
    recorded = requeue(day)  # the record's action
    run = scope.evaluation_scope(day, "replay__test", send=True)  # even asked to send, it does not act
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn, schema=run.schema)
    scope.enter(run)
    assert requeue(day) == recorded
    hook = DeliveryServiceHook(DELIVERY_SERVICE, timeout_seconds=5)
    hook.ledger = ActionLedger(day, "delivery_failure", "pause_unhealthy_numbers", lease_seconds=5)
    with pytest.raises(ActionNotPerformed, match="an evaluation never acts"):
        hook.post("v1/numbers/PN1/pause", {"delivery_date": day.isoformat()})
    assert len(posts(world)) == 1  # the record's requeue only
