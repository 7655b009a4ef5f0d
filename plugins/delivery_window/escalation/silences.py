"""Silences for planned maintenance: parse, validate, store, list, expire (``delivery-window silence``).

What a silence mutes and when is decided in ``routing`` (pure); this module is the command line's I/O shell. Bad
input (an end before the start, an unknown rule or field, a missing reason) raises ``SilenceError`` with a
one-line message before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from delivery_window import store
from delivery_window.escalation.routing import Silence, SilenceError, check_matchers, check_span
from delivery_window.protocol import Protocol


def parse_time(text: str, flag: str, protocol: Protocol) -> datetime:
    """An ISO 8601 instant; without an offset it is wall-clock time in the protocol's zone (IST)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SilenceError(f"{flag} {text!r} is not an ISO 8601 time (e.g. 2026-12-05T05:30+05:30)") from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(protocol.timezone))


def parse_matchers(items: Sequence[str]) -> dict[str, str]:
    """``label=value`` pairs (``--match rule=shard_failing scope=number:123``) as a dict."""
    out: dict[str, str] = {}
    for item in items:
        label, sep, value = item.partition("=")
        if not sep:
            raise SilenceError(f"--match {item!r} is not label=value")
        if label in out:
            raise SilenceError(f"--match {label} given twice")
        out[label.strip()] = value.strip()
    return out


def add(
    conn,
    *,
    start: datetime,
    end: datetime,
    matchers: dict[str, str],
    reason: str,
    author: str,
    protocol: Protocol,
    now: datetime,
) -> str:
    """Validate and store a silence; returns its id. Nothing is written when any part is wrong."""
    check_span(start, end, protocol)
    checked = check_matchers(matchers, protocol)
    if not reason.strip():
        raise SilenceError("--reason is required (say what maintenance this covers)")
    if not author.strip():
        raise SilenceError("--author is required (who is responsible for the silence)")
    silence_id = store.insert_silence(
        conn,
        {"starts_at": start, "ends_at": end, "matchers": checked, "reason": reason, "author": author,
         "created_at": now},
    )  # fmt: skip
    conn.commit()
    return silence_id


def expire(conn, silence_id: str, now: datetime) -> None:
    """Stop a silence now; an unknown or already expired id is an error."""
    if not silence_id.isdigit():
        raise SilenceError(f"silence id {silence_id!r} is not a number (see `delivery-window silence list`)")
    if not store.expire_silence(conn, int(silence_id), now):
        raise SilenceError(f"no unexpired silence {silence_id}")
    conn.commit()


def current_and_upcoming(conn, now: datetime, horizon: timedelta) -> list[Silence]:
    """Silences muting at ``now`` or starting within ``horizon`` after it, in start order."""
    silences = [Silence.of_row(r) for r in store.silences(conn, now, now + horizon)]
    return [s for s in silences if s.until > now]


def describe(s: Silence, protocol: Protocol, now: datetime | None = None) -> str:
    """One line per silence, times in IST."""
    tz = ZoneInfo(protocol.timezone)
    state = ""
    if now is not None:
        state = "active" if s.active_at(now) else "expired" if s.until <= now else "upcoming"
        state = f"[{state}] "
    match = " ".join(f"{k}={v}" for k, v in sorted(s.matchers.items()))
    return (
        f"{s.silence_id}: {state}{s.starts_at.astimezone(tz):%Y-%m-%d %H:%M} → {s.until.astimezone(tz):%Y-%m-%d %H:%M}"
        f" IST · {match} · {s.reason} ({s.author})"
    )


def as_handoff(silences: Sequence[Silence], protocol: Protocol, now: datetime) -> list[dict]:
    """The handoff's "upcoming scheduled maintenance or changes": each silence active or upcoming at ``now``."""
    tz = ZoneInfo(protocol.timezone)
    return [
        {
            "silence_id": s.silence_id,
            "state": "active" if s.active_at(now) else "upcoming",
            "starts_at": s.starts_at.astimezone(tz).isoformat(),
            "ends_at": s.until.astimezone(tz).isoformat(),
            "matchers": dict(sorted(s.matchers.items())),
            "reason": s.reason,
            "author": s.author,
        }
        for s in silences
    ]
