"""The notification outbox: every outbound message is a row first and a send second.

``enqueue`` writes ``delivery_ops.notifications`` keyed by a deterministic dedup key, so a rerun or a task
retry finds the row and never sends twice. ``flush`` sends what is pending; a failed send stays pending with
its error and is retried by the next flush (the next monitor tick, the report task, a rerun).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from delivery_window import store

log = logging.getLogger(__name__)

Sender = Callable[[str, str, dict[str, Any]], None]


@dataclass
class FlushResult:
    sent: int = 0
    dry_run: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def enqueue(conn, day: date, *, dedup_key: str, channel: str, kind: str, payload: dict, at: datetime) -> bool:
    """Queue a message for ``channel`` (a connection id); False when that dedup key was already queued."""
    with conn.cursor() as cur:
        cur.execute(
            store.query("insert_notification"),
            {
                "dedup_key": dedup_key,
                "delivery_date": day,
                "channel": channel,
                "kind": kind,
                "payload": json.dumps(payload, default=str),
                "created_at": at,
            },
        )
        return cur.rowcount == 1


def send_via_providers(channel: str, kind: str, payload: dict[str, Any]) -> None:
    """Send one message with the provider hooks (PagerDuty Events v2 or a Slack incoming webhook)."""
    if kind == "pagerduty_event":
        from delivery_window.hooks.pagerduty import DeliveryPagerdutyHook

        DeliveryPagerdutyHook(pagerduty_events_conn_id=channel).send_event(**payload)
    elif kind == "slack_message":
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        SlackWebhookHook(slack_webhook_conn_id=channel, timeout=10).send(
            text=payload["text"], blocks=payload.get("blocks")
        )
    else:
        raise ValueError(f"unknown notification kind {kind!r} for channel {channel!r}")


def flush(conn, day: date, *, dry_run: bool = False, sender: Sender = send_via_providers) -> FlushResult:
    """Send every pending message of ``day``; each outcome is committed at once so none is lost or repeated."""
    result = FlushResult()
    pending = store.execute(conn, "select_pending_notifications", {"delivery_date": day})
    conn.commit()
    for row in pending:
        status, error = "sent", None
        if dry_run:
            status = "dry_run"
        else:
            try:
                sender(row["channel"], row["kind"], row["payload"])
            except Exception as exc:  # a failed send is recorded and retried, never dropped
                status, error = "pending", f"{type(exc).__name__}: {exc}"[:500]
                log.warning("send to %s failed, kept pending: %s", row["channel"], error)
        store.execute(
            conn, "mark_notification", {"dedup_key": row["dedup_key"], "status": status, "last_error": error}
        )
        conn.commit()
        if status == "sent":
            result.sent += 1
        elif status == "dry_run":
            result.dry_run += 1
        else:
            result.failed[row["dedup_key"]] = error or ""
    return result


def pagerduty_trigger(dedup_key: str, summary: str, severity: str, details: dict, component: str) -> dict:
    """Payload for a PagerDuty trigger event (``prepare_event_data`` keyword arguments)."""
    return {
        "summary": summary[:1024],
        "severity": severity,
        "source": "airflow/delivery_window",
        "action": "trigger",
        "dedup_key": dedup_key,
        "custom_details": details,
        "component": component,
        "group": "advisor-daily",
    }
