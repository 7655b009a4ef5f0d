"""Window scenarios (issue 4): what the 06:00-06:05 monitor sees, and the alert rules each one trips.

Everything before 06:00 is the healthy day's (the checks pass); only the send attempts differ. The instants are
IST on the delivery date; each row's outcome is in ``platform.delivery_attempts`` like any other day.

=================== ====================================================================== =====================
scenario            what happens                                                           rules (scope)
=================== ====================================================================== =====================
failure_burst       every send fails (131000) for 4 s from 06:02:00, then recovers; the   failure_rate_2m (page,
                    failed advisors are retried 20-40 s later and delivered                once) + primary metrics
advisor_retry_storm one advisor's sends are rejected 7 times in a minute from 06:01:05    advisor_failures_1m
                    (131056, pair rate limit); nothing else changes                        (advisor:ADV00777) only
slow_api            from 06:01:00 the API answers slowly (median ~1.6 s, p95 ~2.8 s) but   api_latency_p95_above_2s,
                    every message is delivered                                             latency_vs_baseline
shard_failing       sender number 1065550102 fails every send (131000) from 06:01:30;      shard_failing
                    the other four numbers stay healthy                                    (number:1065550102) +
                                                                                           overall rules
=================== ====================================================================== =====================

``template_paused_in_window`` is the API side of a template change during the window: the data is the healthy
day's and the WhatsApp API reports daily_brief_seg2 PAUSED. A live test starts the sandbox on ``healthy`` and
switches to it mid-window (template_status_change is observed live and recorded, so a replay reaches it too).
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta
from typing import Any

from delivery_window.sandbox.scenarios import (
    SENDER_NUMBERS,
    AdvisorRow,
    AttemptRow,
    Scenario,
    register,
    window_start_utc,
)

BURST_START_MS = 120_000  # failure_burst: 06:02:00 IST ...
BURST_MS = 4_000  # ... for 4 s (~28 sends)
BURST_ERROR = 131000  # "Something went wrong": the API, not the recipient (so the advisor is retried)

STORM_ADVISOR = "ADV00777"
STORM_START_MS = 65_000  # 06:01:05 IST
STORM_EVERY_MS = 8_000
STORM_FAILURES = 7  # > advisor_failures_max (5) in one minute
STORM_ERROR = 131056  # (business, consumer) pair rate limit hit

SLOW_START_MS = 60_000  # slow_api: from 06:01:00 IST
SLOW_MU, SLOW_SIGMA = 7.35, 0.35  # lognormal: median ~1.56 s, p95 ~2.77 s

FAILING_NUMBER = SENDER_NUMBERS[2].phone_number_id  # 1065550102
SHARD_START_MS = 90_000  # 06:01:30 IST


def _sender_of(advisor: AdvisorRow) -> str:
    # scenarios._advisors assigns numbers round-robin by the advisor's ordinal (ADV00001 -> the first number)
    return SENDER_NUMBERS[(int(advisor.advisor_id[3:]) - 1) % len(SENDER_NUMBERS)].phone_number_id


def _burst(advisor: AdvisorRow, offset_ms: int, rng: random.Random) -> tuple[str, int | None, int] | None:
    if BURST_START_MS <= offset_ms < BURST_START_MS + BURST_MS:
        return "failed", BURST_ERROR, rng.randint(150, 400)
    return None


def _slow(advisor: AdvisorRow, offset_ms: int, rng: random.Random) -> tuple[str, int | None, int] | None:
    if offset_ms < SLOW_START_MS:
        return None
    latency = max(300, round(rng.lognormvariate(SLOW_MU, SLOW_SIGMA)))
    return ("read" if rng.random() < 0.4 else "delivered"), None, latency


def _shard(advisor: AdvisorRow, offset_ms: int, rng: random.Random) -> tuple[str, int | None, int] | None:
    if offset_ms >= SHARD_START_MS and _sender_of(advisor) == FAILING_NUMBER:
        return "failed", 131000, rng.randint(150, 400)
    return None


def _storm(tables: dict[str, list], rng: random.Random) -> dict[str, list]:
    """Add the advisor's rejected retries (synchronous failures: no wamid, no receipt)."""
    attempts: list[AttemptRow] = tables["delivery_attempts"]
    first = next(a for a in attempts if a.advisor_id == STORM_ADVISOR)
    t0 = window_start_utc(first.delivery_date)
    base = int(first.delivery_date.strftime("%Y%m%d")) * 10_000_000 + 9_000_000
    extra = []
    for k in range(STORM_FAILURES):
        at = t0 + timedelta(milliseconds=STORM_START_MS + k * STORM_EVERY_MS)
        latency = rng.randint(90, 200)
        extra.append(
            first._replace(
                attempt_id=base + k,
                wamid=None,
                attempted_at=at,
                api_latency_ms=latency,
                status="failed",
                error_code=STORM_ERROR,
                status_at=at + timedelta(milliseconds=latency),
            )
        )
    tables["delivery_attempts"] = sorted(attempts + extra, key=lambda r: (r.attempted_at, r.attempt_id))
    return tables


def _same(info: dict[str, Any]) -> dict[str, Any]:
    return info


PAUSED_TEMPLATE = "daily_brief_seg2"


def _paused(info: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(info)
    for t in out["templates"]:
        if t["name"] == PAUSED_TEMPLATE:
            t.update(status="PAUSED", quality_score={"score": "RED", "date": t["quality_score"]["date"]})
    return out


register(
    Scenario(
        "failure_burst",
        f"Every send fails ({BURST_ERROR}) for {BURST_MS // 1000} s from 06:02:00 IST, then recovers (retries "
        "deliver): an immediate page for the failure rate in the 2-minute window, once.",
        degrade=_burst,
    )
)
register(
    Scenario(
        "advisor_retry_storm",
        f"Advisor {STORM_ADVISOR} is rejected {STORM_FAILURES} times in a minute from 06:01:05 IST "
        f"({STORM_ERROR}, pair rate limit); everything else is healthy: urgent investigation only.",
        rows=_storm,
    )
)
register(
    Scenario(
        "slow_api",
        "From 06:01 IST the WhatsApp API answers slowly (median ~1.6 s, p95 ~2.8 s) but delivers everything: "
        "the p95 latency rules fire.",
        degrade=_slow,
    )
)
register(
    Scenario(
        "shard_failing",
        f"Sender number {FAILING_NUMBER} fails every send (131000) from 06:01:30 IST while the other numbers "
        "stay healthy: Sev2 shard_failing for that number.",
        degrade=_shard,
        api=_same,
    )
)
register(
    Scenario(
        "template_paused_in_window",
        f"Healthy data; the WhatsApp API reports {PAUSED_TEMPLATE} PAUSED (quality RED). Tests switch a live "
        "sandbox to it during the window: Sev2 template_status_change.",
        api=_paused,
    )
)
