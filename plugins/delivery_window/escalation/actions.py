"""The action ledger: every runbook action on the delivery service is a row first and a request second.

A runbook step's POSTs (requeue, pause a number, fallback, failover, replan) go through :class:`ActionLedger`:
each gets an idempotency key derived from the day, the incident (runbook) and the step
(``delivery_window:<date>:<runbook>:<step>:<endpoint>``, ``#n`` for the n-th repeat of an endpoint within a step),
is claimed in ``delivery_ops.actions`` (committed) before the request, and is sent with that key as its
``Idempotency-Key`` header. A rerun, a retried task or a concurrent run of the same day asks the ledger first:
an action done is answered from the ledger (the recorded response, no second request) and the ask is recorded;
an action another run is sending right now is waited for; a failed one is sent again under the same key (the
service treats a repeated key as the first request). So each action happens at most once per key, and every ask
of it is in ``actions.asks``.

An evaluation (``scope``) never acts on the platform, not even with ``send``: re-queuing a past day's content
or failing a database over is never what a replay means. It answers each action with what the record's action
got, and records it ``not_performed`` in its own copy; an action the record never took raises
:class:`ActionNotPerformed`, which the step records.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from delivery_window import scope, store
from delivery_window.escalation import keys
from delivery_window.escalation.clock import utcnow
from delivery_window.masking import mask_value, masked_logger

log = masked_logger(__name__)


class ActionNotPerformed(RuntimeError):
    """An evaluation asked for an action the record never took: it is not performed."""


class ActionInProgress(RuntimeError):
    """Another run holds the action's claim and did not finish it within the lease."""


def action_key(day: date, runbook: str, step: str, endpoint: str, repeat: int = 0) -> str:
    """The idempotency key of the ``repeat``-th request to ``endpoint`` in ``step`` of ``runbook`` on ``day``."""
    base = f"delivery_window:{day.isoformat()}:{runbook}:{step}:{endpoint.strip('/')}"
    return f"{base}#{repeat}" if repeat else base


def _asker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ActionLedger:
    """The ledger of one runbook step's actions (set as ``DeliveryServiceHook.ledger`` for the step)."""

    def __init__(
        self, day: date, runbook: str, step: str, *, lease_seconds: float, poll_seconds: float = 0.5
    ):
        self.day, self.runbook, self.step = day, runbook, step
        self.lease_seconds, self.poll_seconds = lease_seconds, poll_seconds
        self._repeats: Counter[str] = Counter()

    def _row(self, key: str, endpoint: str, body: dict[str, Any], outcome: str) -> dict[str, Any]:
        return {
            "idempotency_key": key,
            "delivery_date": self.day,
            "incident_id": keys.incident_id(self.day, self.runbook),
            "runbook": self.runbook,
            "step": self.step,
            "endpoint": endpoint,
            "request": json.dumps(mask_value(body), default=str),
            "ask": json.dumps({"at": utcnow().isoformat(), "by": _asker(), "outcome": outcome}),
            "lease_seconds": self.lease_seconds,
        }

    def perform(self, endpoint: str, body: dict[str, Any], send: Callable[[str], Any]) -> Any:
        """The action's response: sent once under its key (``send(key)``), or the ledger's answer to a repeat."""
        key = action_key(self.day, self.runbook, self.step, endpoint, self._repeats[endpoint])
        self._repeats[endpoint] += 1
        if not scope.current().is_record:
            return self._evaluate(key, endpoint, body)
        deadline = time.monotonic() + self.lease_seconds
        while True:
            with store.report_db() as conn:
                claimed = store.execute(conn, "claim_action", self._row(key, endpoint, body, "performed"))
                if not claimed:
                    known = store.execute(
                        conn, "ask_action_again", {"idempotency_key": key, "ask": self._ask("answered")}
                    )[0]
            if claimed:
                return self._send(key, send)
            if known["status"] == "done":
                log.info("action %s already done: answered from the ledger, not requested again", key)
                return known["response"]
            if time.monotonic() >= deadline:  # claimed by a run that neither finished nor let go
                raise ActionInProgress(f"action {key} is being performed by another run (claimed, not done)")
            time.sleep(self.poll_seconds)  # another run is sending it right now: its answer is ours

    def _ask(self, outcome: str) -> str:
        return json.dumps({"at": utcnow().isoformat(), "by": _asker(), "outcome": outcome})

    def _send(self, key: str, send: Callable[[str], Any]) -> Any:
        try:
            response = send(key)
        except Exception as exc:  # recorded; a retry sends again under the same key
            with store.report_db() as conn:
                store.execute(
                    conn,
                    "mark_action",
                    {
                        "idempotency_key": key,
                        "status": "failed",
                        "response": None,
                        "last_error": f"{type(exc).__name__}: {exc}"[:500],
                    },
                )
            raise
        with store.report_db() as conn:
            store.execute(
                conn,
                "mark_action",
                {
                    "idempotency_key": key,
                    "status": "done",
                    "response": json.dumps(mask_value(response), default=str),
                    "last_error": None,
                },
            )
        return response

    def _evaluate(self, key: str, endpoint: str, body: dict[str, Any]) -> Any:
        with store.report_db() as conn:
            found = store.execute(conn, "select_record_action", {"idempotency_key": key})
            done = found[0] if found and found[0]["status"] == "done" else None
            row = self._row(key, endpoint, body, "not performed: an evaluation never acts")
            row["response"] = json.dumps(done["response"], default=str) if done else None
            store.execute(conn, "insert_evaluation_action", row)
        if done is None:
            raise ActionNotPerformed(
                f"not performed: an evaluation never acts, and the record of {self.day} never took {key}"
            )
        return done["response"]
