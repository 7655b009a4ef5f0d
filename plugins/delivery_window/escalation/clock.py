"""The engine's clock: real time in a live run, the protocol instant in a replay (ARCHITECTURE §4, §5).

A run is *live* while its delivery date has not ended in IST; afterwards (a replay, or a test over a past date)
every instant the engine records is the protocol time at which the step would have happened live, so a replay
writes the same incidents, ledger rows and due times as the live run did.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


def utcnow() -> datetime:
    """Wall-clock time, timezone-aware."""
    return datetime.now(UTC)


def is_live(day: date, now: datetime, tz: str) -> bool:
    """True while the delivery date ``day`` has not ended in ``tz``."""
    return now.astimezone(ZoneInfo(tz)).date() <= day


def engine_now(day: date, instant: datetime, tz: str, now: datetime | None = None) -> datetime:
    """``now`` in a live run; ``instant`` (the step's protocol time on ``day``) in a replay."""
    now = now or utcnow()
    return now if is_live(day, now, tz) else instant


def observed_at(recorded: datetime | None, day: date, instant: datetime, tz: str) -> datetime:
    """When an observation counts as seen: its recorded time if recorded on the delivery date, else ``instant``.

    Checks record wall-clock time; in a replay that is days later, so the protocol instant stands in for it.
    """
    if recorded is None or not is_live(day, recorded, tz):
        return instant
    return recorded
