"""Looks at the WhatsApp account (issue 14): record what the Cloud API said, judge it, escalate a restriction.

Every look is a row of ``delivery_ops.account_observations`` first (``record_look``), then a pure verdict
(``checks.account.judge``), then the escalation engine (``escalation.account.on_account_observed``). The 05:30
and 05:45 checks hand over their own probe's observation (``from_check``), so an evaluation, which re-judges the
record's check observations, judges the same fields. The monitor and the 06:05 checkpoint look themselves
(``look``): the record asks WhatsApp now, an evaluation re-judges the record's rows of the same source and never
asks WhatsApp about a past day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from delivery_window import scope, store
from delivery_window.checks.account import AccountVerdict, judge, normalize
from delivery_window.masking import masked_logger
from delivery_window.protocol import Protocol

log = masked_logger(__name__)

# The checks whose probe reads the account's fields (05:30 rate limits: status, messaging limit, throughput,
# quality, health and the WABA; 05:45: quality and status; shards: status, quality, health and the WABA).
CHECK_SOURCES = ("check_whatsapp_rate_limits", "check_sender_quality", "check_number_shards")
MONITOR = "monitor"
CHECKPOINT = "checkpoint_0605"
NUMBER_FIELDS = (
    "id,display_phone_number,quality_rating,status,messaging_limit_tier,"
    "whatsapp_business_manager_messaging_limit,throughput,health_status"
)


def read_account(protocol: Protocol) -> dict[str, Any]:
    """Ask the Cloud API now: every sender number's account fields and the WABA's review and health."""
    from delivery_window.connections import WHATSAPP
    from delivery_window.hooks.whatsapp import WhatsAppCloudHook

    hook = WhatsAppCloudHook(WHATSAPP, timeout_seconds=protocol.checks.http_timeout_seconds)
    return {"numbers": hook.phone_numbers(NUMBER_FIELDS), "waba": hook.account()}


def record_look(
    conn, day: date, source: str, raw: Any, at: datetime, protocol: Protocol, *, send: bool = True
) -> AccountVerdict:
    """Record one look, judge it, escalate what it found; returns the verdict."""
    verdict = judge(normalize(raw), protocol)
    store.record_account_observation(
        conn, day, source, at, verdict.verdict, list(verdict.reasons), dict(verdict.observed)
    )
    conn.commit()
    if verdict.verdict != "none":
        log.warning("WhatsApp account (%s at %s): %s: %s", source, at.isoformat(), verdict.verdict,
                    "; ".join(verdict.reasons))  # fmt: skip
    from delivery_window.escalation.account import on_account_observed

    on_account_observed(conn, day, verdict, at, protocol, source=source, send=send)
    return verdict


def from_check(conn, day: date, name: str, probe_observed: Any, at: datetime, protocol: Protocol) -> None:
    """A 05:30/05:45 check's raw observation is a look at the account (nothing when the probe failed)."""
    if name not in CHECK_SOURCES or probe_observed is None:
        return
    if isinstance(probe_observed, dict) and "probe_error" in probe_observed:
        return  # it could not observe: that check's own error says so
    record_look(conn, day, name, probe_observed, at, protocol)


def look(
    conn,
    day: date,
    source: str,
    at: datetime,
    protocol: Protocol,
    *,
    ask: bool,
    send: bool = True,
    since: datetime | None = None,
    read: Callable[[Protocol], Any] = read_account,
) -> list[AccountVerdict]:
    """The monitor's or the 06:05 checkpoint's look. ``ask`` (the record's live look): ask WhatsApp now (a
    failure is logged, the caller goes on). Otherwise (a replay, an evaluation) re-judge what the record saw from
    ``source`` after ``since``, up to ``at``: WhatsApp is never asked about a past day."""
    if ask and scope.current().is_record:
        try:
            raw = read(protocol)
        except Exception as exc:  # an unreachable API must not stop the window; the next look tries again
            log.warning("WhatsApp account read (%s) failed: %s", source, exc)
            return []
        return [record_look(conn, day, source, raw, at, protocol, send=send)]
    rows = store.execute(conn, "select_record_account_observations", {"delivery_date": day, "source": source})
    return [
        record_look(conn, day, source, r["observed"], r["observed_at"], protocol, send=send)
        for r in rows
        if r["observed_at"] <= at and (since is None or r["observed_at"] > since)
    ]
