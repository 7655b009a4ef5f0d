"""What the fake delivery service's actions do to the sandbox's platform data (``platform.delivery_attempts``).

A real delivery service sends when it is told to requeue, and stops sending from a paused number; the runbooks
then measure their success from those rows (issue 13: believe only the data). When the sandbox is given the
platform database, its actions write the same effect into the generated day, at the action's ``effective_at``
(the runbook's clock: now live, the simulated instant in a replay):

* a requeue sends each advisor once more, from ``effective_at`` on (spread ``REQUEUE_SPACING_MS`` apart), on the
  numbers not excluded or paused; each send's outcome is the scenario's at that instant (an outage that is still
  on fails it, a recovered API delivers it). Attempt ids are derived from (advisor, instant), so the same requeue
  at the same instant (a rerun of a replay) writes nothing new.
* a pause moves the number's sends made after ``effective_at`` to the other numbers, delivered.
"""

from __future__ import annotations

import random
import zlib
from datetime import date, datetime, timedelta
from typing import Any

REQUEUE_SPACING_MS = 50  # the delivery service's requeue pace: 20 sends a second
REQUEUE_ID_BASE = 7_000_000  # a day's attempt ids are date * 10M + n; requeues take 7M..8M


def requeue_attempts(
    url: str, scenario: str, day: date, advisors: list[str], numbers: list[str], at: datetime
) -> int:
    """Write one attempt per requeued advisor (outcome per the scenario at its instant); returns rows written."""
    import psycopg

    from delivery_window.sandbox.scenarios import (
        REGISTRY,
        SEGMENT_TEMPLATES,
        SYNC_ERRORS,
        AdvisorRow,
        make_wamid,
        window_start_utc,
    )

    if not advisors or not numbers:
        return 0
    degrade = REGISTRY[scenario].degrade
    t0 = window_start_utc(day)
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT advisor_id, segment, tier, phone_e164, active FROM platform.advisors WHERE advisor_id = ANY(%s)",
            (sorted(set(advisors)),),
        ).fetchall()
        rows = []
        for k, row in enumerate(sorted(found)):
            a = AdvisorRow(*row)
            sent = at + timedelta(milliseconds=k * REQUEUE_SPACING_MS)
            offset = int((sent - t0).total_seconds() * 1000)
            rng = random.Random(f"requeue:{a.advisor_id}:{sent.isoformat()}")
            outcome = degrade(a, offset, rng) if degrade else None
            status, code, latency = outcome if outcome else ("delivered", None, rng.randint(250, 700))
            status = "delivered" if status == "read" else status
            sync_fail = status == "failed" and code in SYNC_ERRORS
            key = f"{a.advisor_id}:{sent.isoformat()}"
            rows.append(
                (
                    int(day.strftime("%Y%m%d")) * 10_000_000 + REQUEUE_ID_BASE + zlib.crc32(key.encode()) % 999_999,
                    day, a.advisor_id, a.segment, numbers[k % len(numbers)], SEGMENT_TEMPLATES[a.segment],
                    None if sync_fail else make_wamid(a.phone_e164, f"requeue:{key}"), sent, latency, status, code,
                    sent + timedelta(milliseconds=latency + 1500),
                )
            )  # fmt: skip
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO platform.delivery_attempts (attempt_id, delivery_date, advisor_id, segment, "
                "phone_number_id, template_name, wamid, attempted_at, api_latency_ms, status, error_code, status_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (attempt_id) DO NOTHING",
                rows,
            )
            written = cur.rowcount
        conn.commit()
    return max(written, 0)


def move_paused_traffic(url: str, day: date, number: str, effective: datetime, others: list[str]) -> int:
    """The paused number's sends after ``effective`` go out on ``others``, delivered; returns rows moved."""
    import psycopg

    from delivery_window.paths import query

    if not others:
        return 0
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            query("sandbox_move_paused_traffic"),
            {"delivery_date": day, "number": number, "effective_at": effective, "others": others},
        ).fetchall()
        conn.commit()
    return len(rows)


def effective_at(body: dict[str, Any], now: str) -> datetime:
    """The action's ``effective_at`` (ISO 8601), or now; ValueError when malformed."""
    return datetime.fromisoformat(str(body.get("effective_at") or now))
