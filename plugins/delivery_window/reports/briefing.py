"""The incoming engineer's briefing beyond the day's records: planned changes and special instructions / known
issues (``delivery-window change add``, ``delivery-window note add``), stored in ``delivery_ops.planned_changes``
and ``delivery_ops.handoff_notes`` and listed by every handoff they apply to.

Bad input (an end before the start, an empty text, no author, a time that is not ISO 8601) raises
``BriefingError`` with a one-line message before anything is written. Times without an offset are wall-clock
times in the protocol's zone (IST), as for silences.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from delivery_window import store
from delivery_window.protocol import Protocol


class BriefingError(ValueError):
    """A note or planned change that cannot be stored (the message is one line, naming the flag)."""


def parse_time(text: str | None, flag: str, protocol: Protocol) -> datetime | None:
    """An ISO 8601 instant (IST when it carries no offset), or None when not given."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BriefingError(
            f"{flag} {text!r} is not an ISO 8601 time (e.g. 2026-12-05T05:30+05:30)"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(protocol.timezone))


def _required(value: str | None, flag: str, what: str) -> str:
    if value is None or not value.strip():
        raise BriefingError(f"{flag} is required ({what})")
    return value.strip()


def add_note(
    conn, *, text: str, starts_at: datetime | None, until: datetime | None, author: str, now: datetime
) -> str:
    """Store a special instruction / known issue; returns its id. Listed from ``starts_at`` (default ``now``)."""
    text = _required(text, "--text", "the instruction or known issue")
    author = _required(author, "--by", "who is responsible for the note")
    start = starts_at or now
    if until is not None and until <= start:
        raise BriefingError(f"--until {until.isoformat()} is not after the note's start {start.isoformat()}")
    row = {"text": text, "starts_at": start, "until": until, "author": author, "created_at": now}
    note_id = str(store.execute(conn, "insert_handoff_note", row)[0]["note_id"])
    conn.commit()
    return note_id


def expire_note(conn, note_id: str, now: datetime) -> None:
    """Stop listing a note now; an unknown or already expired id is an error."""
    if not note_id.isdigit():
        raise BriefingError(f"note id {note_id!r} is not a number (see `delivery-window note list`)")
    if not store.execute(conn, "expire_handoff_note", {"note_id": int(note_id), "at": now}):
        raise BriefingError(f"no unexpired note {note_id}")
    conn.commit()


def add_change(
    conn, *, title: str, starts_at: datetime | None, ends_at: datetime | None, details: str | None, author: str,
    now: datetime,
) -> str:  # fmt: skip
    """Store a planned change; returns its id."""
    title = _required(title, "--title", "what changes, in one line")
    author = _required(author, "--by", "who planned the change")
    if starts_at is None:
        raise BriefingError("--start is required (when the change starts)")
    if ends_at is not None and ends_at < starts_at:
        raise BriefingError(f"--end {ends_at.isoformat()} is before --start {starts_at.isoformat()}")
    row = {"starts_at": starts_at, "ends_at": ends_at, "title": title, "details": (details or "").strip() or None,
           "author": author, "created_at": now}  # fmt: skip
    change_id = str(store.execute(conn, "insert_planned_change", row)[0]["change_id"])
    conn.commit()
    return change_id


def cancel_change(conn, change_id: str, now: datetime) -> None:
    """Cancel a planned change; an unknown or already cancelled id is an error."""
    if not change_id.isdigit():
        raise BriefingError(f"change id {change_id!r} is not a number (see `delivery-window change list`)")
    if not store.execute(conn, "cancel_planned_change", {"change_id": int(change_id), "at": now}):
        raise BriefingError(f"no planned change {change_id} that is not cancelled")
    conn.commit()


def notes_at(conn, at: datetime) -> list[dict[str, Any]]:
    """The notes a handoff at ``at`` lists, in start order."""
    return store.execute(conn, "select_handoff_notes", {"at": at})


def changes_at(conn, at: datetime, lookahead: timedelta) -> list[dict[str, Any]]:
    """Planned changes under way at ``at`` or starting within ``lookahead``, in start order."""
    return store.execute(conn, "select_planned_changes", {"at": at, "horizon": at + lookahead})


def notes_as_handoff(notes: list[dict[str, Any]], tz: ZoneInfo) -> list[dict[str, Any]]:
    """The handoff's "special instructions or known issues" (pure; no wall-clock value but the note's own)."""
    return [
        {
            "note_id": n["note_id"],
            "text": n["text"],
            "author": n["author"],
            "since": n["starts_at"].astimezone(tz).isoformat(),
            "until": n["until"].astimezone(tz).isoformat() if n["until"] else None,
        }
        for n in notes
    ]


def changes_as_handoff(changes: list[dict[str, Any]], at: datetime, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The handoff's planned changes: each under way or upcoming at ``at`` (pure)."""
    return [
        {
            "change_id": c["change_id"],
            "state": "under_way" if c["starts_at"] <= at else "upcoming",
            "title": c["title"],
            "details": c["details"],
            "starts_at": c["starts_at"].astimezone(tz).isoformat(),
            "ends_at": c["ends_at"].astimezone(tz).isoformat() if c["ends_at"] else None,
            "author": c["author"],
        }
        for c in changes
    ]


def describe_note(n: dict[str, Any], tz: ZoneInfo) -> str:
    until = f" until {n['until'].astimezone(tz):%Y-%m-%d %H:%M}" if n["until"] else ""
    return f"{n['note_id']}: from {n['starts_at'].astimezone(tz):%Y-%m-%d %H:%M}{until} IST · {n['text']} ({n['author']})"


def describe_change(c: dict[str, Any], tz: ZoneInfo) -> str:
    end = f" → {c['ends_at'].astimezone(tz):%Y-%m-%d %H:%M}" if c["ends_at"] else ""
    return f"{c['change_id']}: {c['starts_at'].astimezone(tz):%Y-%m-%d %H:%M}{end} IST · {c['title']} ({c['author']})"
