"""The notification outbox: every outbound message is a row first and a send second.

``enqueue`` writes ``delivery_ops.notifications`` keyed by a deterministic dedup key, so a rerun or a task
retry finds the row and never sends twice. ``flush`` sends what is pending; a failed send stays pending with
its error and is retried by the next flush (the next monitor tick, the report task, the escalation follow-up,
a rerun). A row is claimed (``sending``, committed) before it is sent and marked after, so two flushes running at
once (the DAG and the follow-up DAG) never send the same message twice and no HTTP call runs inside a row lock;
its escalation-ledger row, if any, follows it. A flush sends only the rows of its run's scope (``scope``): an
evaluation never claims, marks or sends the record's rows.

A channel that is down is not hammered: the first failed send to a channel ends that channel's sends for the
flush (its other messages stay pending, untouched), and a caller that flushes often (the monitor, every tick) passes
one :class:`ChannelBackoff` for its whole run, so a failed channel is tried again only after
``monitor.send_backoff_seconds`` (or the server's ``Retry-After`` when longer): a Slack or PagerDuty outage then
costs the monitor one timeout per channel per backoff, not one per message per tick. Every send uses ``checks.http_timeout_seconds``.

Kinds: ``pagerduty_event`` (trigger / acknowledge / resolve, PagerDuty Events v2), ``slack_message`` (Block Kit
through an incoming webhook), ``status_page_update`` (an incident on a Statuspage page, through that page's
connection; rows recorded before issue 14 went through the delivery service), ``advisor_notification`` (the
delivery service, which sends advisors their in-app notification and e-mail), ``x_post`` (X API v2, the status
account) and ``confluence_page`` (the handoff page, created or updated with a new version). Phone numbers are
masked to their last 4 digits in every payload on its way out, and in every log line of this module.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from delivery_window import scope, store
from delivery_window.masking import mask_value, masked_logger

log = masked_logger(__name__)

Sender = Callable[[str, str, dict[str, Any]], None]


@dataclass
class FlushResult:
    sent: int = 0
    dry_run: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    deferred: int = 0  # pending messages not tried: their channel failed in this flush or is backing off


@dataclass
class ChannelBackoff:
    """Channels whose last send failed, and until when (``clock`` seconds) flushes leave them alone."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    until: dict[str, float] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)  # the failure that started each channel's backoff

    def waiting(self, channel: str) -> bool:
        """True while ``channel`` is backing off."""
        return self.clock() < self.until.get(channel, float("-inf"))

    def failed(self, channel: str, retry_after: float | None, error: str = "") -> None:
        """Back ``channel`` off for ``seconds``, or for the server's ``Retry-After`` when that is longer (a
        shorter one was already waited for by the call's own retry, which failed again)."""
        self.until[channel] = self.clock() + max(self.seconds, retry_after or 0.0)
        self.why[channel] = error

    def succeeded(self, channel: str) -> None:
        self.until.pop(channel, None)


def retry_after_of(exc: BaseException) -> float | None:
    """The ``Retry-After`` seconds a failed send was told (a ``ServiceError``, or an HTTP error with a response)."""
    value = getattr(exc, "retry_after", None)
    if value is None:
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


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
                "payload": json.dumps(mask_value(payload), default=str),
                "created_at": at,
            },
        )
        return cur.rowcount == 1


KINDS = (
    "pagerduty_event",
    "slack_message",
    "status_page_update",
    "advisor_notification",
    "x_post",
    "confluence_page",
)


def send_via_providers(
    channel: str, kind: str, payload: dict[str, Any], idempotency_key: str | None = None
) -> None:
    """Send one message with the provider hooks; ``channel`` is the connection id. Phone numbers are masked.

    A delivery-service message (status page, advisor notification) carries its dedup key as the request's
    ``Idempotency-Key``: a resend after an unknown outcome is then the same request to the service."""
    from delivery_window.protocol import get_protocol

    payload = mask_value(payload)
    timeout = get_protocol().checks.http_timeout_seconds
    if kind == "pagerduty_event":
        from delivery_window.hooks.pagerduty import DeliveryPagerdutyHook

        DeliveryPagerdutyHook(pagerduty_events_conn_id=channel, timeout_seconds=timeout).send_event(**payload)
    elif kind == "slack_message":
        from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook

        # No retry handlers: a failed post stays pending in the outbox and the next flush retries it.
        SlackWebhookHook(slack_webhook_conn_id=channel, timeout=timeout, retry_handlers=[]).send(
            text=payload["text"], blocks=payload.get("blocks")
        )
    elif (
        kind == "status_page_update" and "endpoint" not in payload
    ):  # Statuspage, through the page's connection
        from delivery_window.hooks.statuspage import StatuspageHook

        StatuspageHook(channel, timeout_seconds=timeout).publish(
            payload["incident_key"],
            payload["name"],
            payload["status"],
            payload["body"],
            payload["component_status"],
        )
    elif kind == "x_post":
        from delivery_window.hooks.x_api import XHook

        XHook(channel, timeout_seconds=timeout).post(payload["text"])
    elif kind == "confluence_page":
        from delivery_window.hooks.confluence import ConfluenceHook

        ConfluenceHook(channel, timeout_seconds=timeout).publish(
            payload["title"], payload["body"], payload["version_message"]
        )
    elif kind in ("status_page_update", "advisor_notification"):
        from delivery_window.hooks.delivery_service import DeliveryServiceHook

        body = {k: v for k, v in payload.items() if k != "endpoint"}
        DeliveryServiceHook(channel, timeout_seconds=timeout).post_once(
            payload["endpoint"], body, idempotency_key
        )
    else:
        raise ValueError(f"unknown notification kind {kind!r} for channel {channel!r}")


# Sends whose outcome is known to this process but not yet to the database (the mark failed: the database went
# away right after the send). The next flush of this process writes them first, so a blip never resends.
_unmarked: dict[tuple[str, str], tuple[str, str | None]] = {}

UNCONFIRMED_PREFIX = "(resent: delivery of the first post is unconfirmed) "


def resend_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload to send again for a row whose first send has an unknown outcome (its sender died mid-send).

    PagerDuty and the delivery service dedup by key (the event's ``dedup_key``, the ``Idempotency-Key``), so the
    same payload is safe. A Slack webhook has no key: the post is sent again, marked as a resend, because a
    missed page-level post is worse than a labelled duplicate (README, "A send whose outcome is unknown").
    A status page and the Confluence page are found again before they are written (``StatuspageHook.publish``,
    ``ConfluenceHook.publish``), and X refuses a duplicate post (counted as sent), so those resend as they are."""
    if kind != "slack_message":
        return payload
    return {**payload, "text": UNCONFIRMED_PREFIX + str(payload.get("text", ""))}


def _mark(conn, dedup_key: str, status: str, error: str | None) -> None:
    store.execute(conn, "mark_notification", {"dedup_key": dedup_key, "status": status, "last_error": error})
    store.mark_escalation_notified(conn, dedup_key, status, error)
    conn.commit()


def _write_unmarked(conn) -> None:
    schema = scope.current().schema
    for (where, dedup_key), (status, error) in list(_unmarked.items()):
        if where == schema:
            _mark(conn, dedup_key, status, error)
            del _unmarked[(where, dedup_key)]


def flush(
    conn,
    day: date,
    *,
    dry_run: bool = False,
    sender: Sender = send_via_providers,
    backoff: ChannelBackoff | None = None,
) -> FlushResult:
    """Send every pending message of ``day`` in the run's scope; claim (commit) → send → mark (commit).

    No HTTP runs inside a transaction: a database that goes away during a send loses no outcome (this process
    writes it at its next flush) and a row whose sender died mid-send is sent again after
    ``monitor.claim_lease_seconds`` (``resend_payload``). A dry run, and an evaluation not asked to send, mark
    only their own rows ``dry_run``; an evaluation asked to send skips (``in_record``) what the record has.
    ``backoff`` carries failed channels across the flushes of one caller; without it a failed channel is left
    alone for the rest of this flush only. A database error propagates (the monitor reconnects and goes on)."""
    from delivery_window.protocol import get_protocol

    result = FlushResult()
    backoff = backoff or ChannelBackoff(seconds=float("inf"))
    run = scope.current()
    dry_run = not scope.may_send(dry_run)
    lease = get_protocol().monitor.claim_lease_seconds
    _write_unmarked(conn)
    pending = store.execute(
        conn, "select_pending_notifications", {"delivery_date": day, "lease_seconds": lease}
    )
    conn.commit()
    in_record: set[str] = set()
    if not run.is_record and not dry_run and pending:
        keys = [c["dedup_key"] for c in pending]
        in_record = {
            r["dedup_key"] for r in store.execute(conn, "select_record_notifications", {"keys": keys})
        }
        conn.commit()
    for candidate in pending:
        key = candidate["dedup_key"]
        if dry_run or key in in_record:
            status = "dry_run" if dry_run else "in_record"
            _mark(conn, key, status, None)
            result.dry_run += 1
            continue
        if backoff.waiting(candidate["channel"]):
            result.deferred += 1  # stays pending, not tried: its channel just failed
            why = (
                f"not tried: {candidate['channel']} had just failed ({backoff.why.get(candidate['channel'])})"
            )
            store.execute(conn, "defer_notification", {"dedup_key": key, "last_error": why[:500]})
            conn.commit()
            continue
        claimed = store.execute(
            conn, "claim_notification", {"dedup_key": key, "lease_seconds": lease, "claimed_by": _claimer()}
        )
        conn.commit()  # the claim is on record before anything leaves
        if not claimed:
            continue  # another flush claimed it first, or has sent it meanwhile
        row = claimed[0]
        payload = row["payload"]
        if row["was"] == "sending":
            log.warning("resending %s: its first send's outcome is unknown (sender gone mid-send)", key)
            payload = resend_payload(row["kind"], payload)
        status, error = "sent", None
        try:
            if sender is send_via_providers:  # the real route: the dedup key goes out as the request's key
                send_via_providers(row["channel"], row["kind"], payload, idempotency_key=key)
            else:
                sender(row["channel"], row["kind"], payload)
            backoff.succeeded(row["channel"])
        except Exception as exc:  # a failed send is recorded and retried, never dropped
            status, error = "pending", str(mask_value(f"{type(exc).__name__}: {exc}"))[:500]
            backoff.failed(row["channel"], retry_after_of(exc), error)
            log.warning("send to %s failed, kept pending: %s", row["channel"], error)
        _unmarked[(run.schema, key)] = (status, error)
        _mark(conn, key, status, error)
        del _unmarked[(run.schema, key)]
        if status == "sent":
            result.sent += 1
        else:
            result.failed[key] = error or ""
    return result


def _claimer() -> str:
    """Who claimed a row (host and process), for the on-call reading a row left ``sending``."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"
