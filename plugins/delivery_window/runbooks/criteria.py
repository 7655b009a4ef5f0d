"""Runbook success criteria measured from ``platform.delivery_attempts`` (pure; issue 13: believe only the data).

A runbook worked when the platform's own rows show it worked, not when a service says so. Each function takes the
day's attempts made after the runbook's action (rows with ``attempted_at``, ``status``, ``status_at``,
``phone_number_id``, ``template_name``, ``segment``), the instant it is judged at (``as_of``: now in a live run,
each re-check's instant in a replay) and the runbook's ``measure`` block from protocol.yaml, and returns a
``Measured``: met or not, the numbers it rests on, and a one-line reason. What the service reports about itself
is recorded beside the measurement by the caller, never used as the verdict.

Only what was known at ``as_of`` counts: an attempt's status is its latest receipt (``status_at``), so a receipt
later than ``as_of`` means the attempt had no final status yet, and attempts younger than ``settle_seconds`` are
left out (their receipts are still on their way).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from delivery_window.protocol import Measurement

DELIVERED = frozenset({"delivered", "read"})


@dataclass(frozen=True)
class Measured:
    """A criterion judged from the data: ``met``, the ``numbers`` it rests on, and why."""

    met: bool
    reason: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def details(self) -> dict[str, Any]:
        """What goes on the timeline and in ``runbook_runs``: the verdict, why, and every number behind it."""
        return {"ok": self.met, "measured": self.numbers, "reason": self.reason}


def _window(action_at: datetime, as_of: datetime, m: Measurement) -> tuple[datetime, datetime]:
    """The attempts judged at ``as_of``: made after the action, in the trailing window, old enough to have settled."""
    until = as_of - timedelta(seconds=m.settle_seconds)
    since = max(action_at, until - timedelta(minutes=m.window_minutes))
    return since, until


def _delivered_by(row: Mapping[str, Any], as_of: datetime) -> bool:
    return row["status"] in DELIVERED and row["status_at"] is not None and row["status_at"] <= as_of


def _rate(judged: list, counted: list, as_of: datetime, since: datetime, until: datetime, floor_pct: float,
          m: Measurement) -> dict[str, Any]:  # fmt: skip
    """The numbers a rate criterion rests on: attempts judged, those counted, delivered, the rate, the bounds."""
    delivered = sum(_delivered_by(a, as_of) for a in counted)
    return {
        "attempts": len(judged),
        "delivered": delivered,
        "rate_pct": round(100.0 * delivered / len(counted), 2) if counted else None,
        "required_pct": floor_pct,
        "min_attempts": m.min_attempts,
        "since": since.isoformat(),
        "until": until.isoformat(),
    }


def _too_few(judged: list, m: Measurement, after: str, numbers: dict[str, Any]) -> Measured | None:
    if len(judged) >= m.min_attempts:
        return None
    why = f"{len(judged)} attempts after the {after} (need {m.min_attempts}): not enough to tell"
    return Measured(False, why, numbers)


def delivery_restored(
    attempts: Iterable[Mapping[str, Any]],
    action_at: datetime,
    as_of: datetime,
    m: Measurement,
    floor_pct: float,
    requeued: int | None = None,
) -> Measured:
    """``delivery_failure``: delivered ÷ attempts made after the action (trailing window) above ``floor_pct``.
    The minimum sample is ``m.min_attempts``, or every requeued advisor when fewer were requeued (after the
    window the requeue's sends are all the traffic there is). When the trailing window holds fewer attempts than
    that (the sends are over), every attempt since the action is judged: a requeue that failed stays failed."""
    minimum = min(m.min_attempts, requeued) if requeued else m.min_attempts
    m = m.model_copy(update={"min_attempts": max(1, minimum)})
    attempts = list(attempts)
    since, until = _window(action_at, as_of, m)
    judged = [a for a in attempts if since <= a["attempted_at"] < until]
    if len(judged) < m.min_attempts:  # the sends are over: judge every attempt since the action instead
        since, judged = action_at, [a for a in attempts if action_at <= a["attempted_at"] < until]
    numbers = _rate(judged, judged, as_of, since, until, floor_pct, m)
    if too_few := _too_few(judged, m, "action", numbers):
        return too_few
    rate, delivered = numbers["rate_pct"], numbers["delivered"]
    met = rate > floor_pct
    return Measured(
        met, f"{delivered}/{len(judged)} delivered = {rate} % ({'>' if met else '≤'} {floor_pct} %)", numbers
    )


def numbers_quiet(
    attempts: Iterable[Mapping[str, Any]],
    paused_at: Mapping[str, datetime],
    as_of: datetime,
    m: Measurement,
    out_of_plan: Iterable[str],
) -> Measured:
    """``whatsapp_quality_recovery``: every paused number is out of the delivery service's plan and carries no
    attempt made after its pause (+ settle); ``paused_at`` maps each number to when it was paused."""
    out = set(out_of_plan)
    after: dict[str, int] = {}
    for a in attempts:
        at = paused_at.get(a["phone_number_id"])
        if at is not None and at + timedelta(seconds=m.settle_seconds) <= a["attempted_at"] <= as_of:
            after[a["phone_number_id"]] = after.get(a["phone_number_id"], 0) + 1
    in_plan = sorted(set(paused_at) - out)
    numbers = {
        "paused": sorted(paused_at),
        "attempts_after_pause": dict(sorted(after.items())),
        "still_in_plan": in_plan,
    }
    if not paused_at:
        return Measured(False, "no number was paused: nothing to measure", numbers)
    if after:
        busy = ", ".join(f"{n}: {k}" for n, k in sorted(after.items()))
        return Measured(False, f"paused numbers still carry attempts after the pause ({busy})", numbers)
    if in_plan:
        return Measured(False, f"paused numbers still in the plan: {', '.join(in_plan)}", numbers)
    return Measured(True, f"{len(paused_at)} paused number(s) carry no attempt after the pause", numbers)


def fallback_functional(
    attempts: Iterable[Mapping[str, Any]],
    switched_at: datetime,
    as_of: datetime,
    m: Measurement,
    fallback_templates: Mapping[int, str],
    floor_pct: float,
) -> Measured:
    """``ai_service_fallback``: attempts made after the switch (trailing window) use their segment's fallback
    template and are delivered above ``floor_pct``."""
    since, until = _window(switched_at, as_of, m)
    judged = [a for a in attempts if since <= a["attempted_at"] < until]
    on_fallback = [a for a in judged if fallback_templates.get(int(a["segment"])) == a["template_name"]]
    numbers = {
        **_rate(judged, on_fallback, as_of, since, until, floor_pct, m),
        "on_fallback": len(on_fallback),
    }
    if too_few := _too_few(judged, m, "switch", numbers):
        return too_few
    if len(on_fallback) < len(judged):
        return Measured(
            False,
            f"{len(judged) - len(on_fallback)}/{len(judged)} attempts after the switch not on fallback",
            numbers,
        )
    met = numbers["rate_pct"] > floor_pct
    return Measured(
        met,
        f"{numbers['delivered']}/{len(on_fallback)} fallback sends delivered = {numbers['rate_pct']} %",
        numbers,
    )
