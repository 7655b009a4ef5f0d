"""Synthetic send attempts for unit tests of the monitor, rules and checkpoint."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from delivery_window import window
from delivery_window.records import Attempt

DAY = date(2026, 11, 25)


def at(hhmmss: str) -> datetime:
    """An IST instant on DAY, e.g. at('06:01:30')."""
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return window.at(DAY, "delivery_start").replace(hour=h, minute=m, second=s)


def attempts(
    start: str,
    count: int,
    *,
    every_s: float = 0.15,
    status: str = "delivered",
    receipt_s: float = 3,
    latency_ms: int = 400,
    error_code: int | None = None,
    first_id: int = 1,
    advisor_prefix: str = "adv",
    segment: int = 1,
    number: str = "1065550100",
) -> list[Attempt]:
    """``count`` attempts from ``start`` every ``every_s`` seconds, each to a different advisor."""
    t0 = at(start)
    out = []
    for i in range(count):
        t = t0 + timedelta(seconds=i * every_s)
        out.append(
            Attempt(
                attempt_id=first_id + i,
                advisor_id=f"{advisor_prefix}{first_id + i:05d}",
                segment=segment,
                phone_number_id=number,
                attempted_at=t,
                api_latency_ms=latency_ms,
                status=status,
                error_code=error_code if status == "failed" else None,
                status_at=t + timedelta(seconds=receipt_s),
            )
        )
    return out
