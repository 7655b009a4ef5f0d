"""Incident-response scenarios (issue 13): what the in-window runbooks act on and measure.

=================== ======================================================================================
scenario            what happens
=================== ======================================================================================
outage_recovers     the WhatsApp Cloud API fails every send (131000, slow) from 06:02:00 to 06:03:00 IST, then
                    comes back; failed sends are retried and the advisors still without a delivery are
                    requeued and delivered from 06:03:30: the delivery_failure runbook's criterion is measured
                    met from the attempts made after its requeue
ack_late            the outage day, and nobody acknowledges the PagerDuty incident (the sandbox's PagerDuty
                    REST API keeps it ``triggered``): the breach is recorded one minute after the page and
                    the secondary engineer is paged (Sev-1 step 5)
=================== ======================================================================================

The sandbox data of a day is generated before the run, so the requeue's deliveries are in it whenever the
requeue happens; what the runbook measures is still only what ``platform.delivery_attempts`` holds after its
action.
"""

from __future__ import annotations

import random
from datetime import timedelta

from delivery_window.sandbox.scenarios import (
    OUTAGE_START_OFFSET_MS,
    REGISTRY,
    AdvisorRow,
    AttemptRow,
    Scenario,
    register,
    window_start_utc,
)

RECOVERY_OFFSET_MS = 180_000  # 06:03:00 IST: the API is back
REQUEUE_FROM_MS, REQUEUE_SPAN_MS = 210_000, 60_000  # the requeued advisors are sent 06:03:30-06:04:30
RETRYABLE = frozenset({1, 2, 131000})


def _brief_outage(
    advisor: AdvisorRow, offset_ms: int, rng: random.Random
) -> tuple[str, int | None, int] | None:
    if OUTAGE_START_OFFSET_MS <= offset_ms < RECOVERY_OFFSET_MS:
        return "failed", rng.choice((131000,) * 8 + (1, 2)), rng.randint(5000, 10_000)
    return None


def _requeued(tables: dict[str, list], rng: random.Random) -> dict[str, list]:
    """Advisors whose every attempt failed with a retryable code are requeued and delivered after the recovery."""
    attempts: list[AttemptRow] = tables["delivery_attempts"]
    last: dict[str, AttemptRow] = {}
    delivered: set[str] = set()
    for a in attempts:
        last[a.advisor_id] = a
        if a.status in ("delivered", "read"):
            delivered.add(a.advisor_id)
    todo = sorted(
        a
        for a, row in last.items()
        if a not in delivered and row.status == "failed" and row.error_code in RETRYABLE
    )
    if not todo:
        return tables
    first = attempts[0]
    t0 = window_start_utc(first.delivery_date)
    base = int(first.delivery_date.strftime("%Y%m%d")) * 10_000_000 + 8_000_000
    extra = []
    for k, advisor in enumerate(todo):
        at = t0 + timedelta(milliseconds=REQUEUE_FROM_MS + k * REQUEUE_SPAN_MS // len(todo))
        latency = rng.randint(250, 700)
        extra.append(
            last[advisor]._replace(
                attempt_id=base + k,
                wamid=f"{last[advisor].wamid or 'wamid.requeue'}.rq",
                attempted_at=at,
                api_latency_ms=latency,
                status="delivered",
                error_code=None,
                status_at=at + timedelta(milliseconds=latency + rng.randint(800, 3000)),
            )
        )
    tables["delivery_attempts"] = sorted(attempts + extra, key=lambda r: (r.attempted_at, r.attempt_id))
    return tables


register(
    Scenario(
        "outage_recovers",
        "WhatsApp Cloud API fails every send from 06:02:00 to 06:03:00 IST, then recovers; retries and the "
        "requeue deliver the advisors it missed from 06:03:30: the delivery_failure runbook is measured met.",
        degrade=_brief_outage,
        rows=_requeued,
    )
)


def _never_acknowledged(info: dict) -> dict:
    outage = REGISTRY["whatsapp_outage"].api(info)
    return {**outage, "pagerduty": {**dict(outage.get("pagerduty") or {}), "ack_after_seconds": None}}


register(
    Scenario(
        "ack_late",
        "The WhatsApp outage day, and nobody acknowledges the page in PagerDuty: a breach one minute after the "
        "page, and the secondary engineer is paged (Sev-1 step 5).",
        degrade=REGISTRY["whatsapp_outage"].degrade,
        api=_never_acknowledged,
    )
)
