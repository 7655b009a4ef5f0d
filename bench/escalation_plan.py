"""Escalation planning cost: derive the day's incidents and plan their ledger rows (pure, no I/O).

Every caller (a first alert, the SLA checkpoint, a task failure, the follow-up every 5 minutes) re-plans the whole
day from its records, so this is the per-call CPU cost. Prints rows planned and milliseconds for a quiet day, the
outage day's shape (a dozen alerts), and a bad day with an alert on every number, segment and advisor scope.
"""

from __future__ import annotations

import statistics
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from delivery_window.escalation.derive import SeenCheck, derive_incidents
from delivery_window.escalation.plan import plan_incident
from delivery_window.protocol import get_protocol

P = get_protocol()
DAY = date(2026, 9, 1)
T0 = datetime(2026, 9, 1, 6, 2, tzinfo=ZoneInfo("Asia/Kolkata"))
RUNS = 20


def alerts(n_scopes: int) -> list[dict]:
    rules = [r for r, spec in P.alert_rules.items() if spec.runbook]
    return [
        {
            "rule": rule,
            "scope": f"number:{i}",
            "first_fired_at": T0 + timedelta(seconds=10 * i),
            "details": {},
        }
        for i in range(n_scopes)
        for rule in rules
    ]


def run(name: str, day_alerts: list[dict], sla: float | None) -> None:
    checks = [
        SeenCheck("check_sender_quality", "fail", {"numbers": [{"id": "n", "quality_rating": "RED"}]}, T0)
    ]
    times, rows = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        facts = derive_incidents(DAY, day_alerts, checks, {"sla_pct": sla} if sla else None, T0, [], P)
        rows = sum(len(plan_incident(f, P, T0 + timedelta(hours=2))) for f in facts)
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{name:<44} {len(day_alerts):>5} alerts {rows:>6} ledger rows  {statistics.median(times):8.2f} ms median"
    )


if __name__ == "__main__":
    run("no alert (a RED number at 05:45)", [], None)
    run("outage day (12 rules, 1 scope, SLA 42%)", alerts(1), 42.0)
    run("bad day (12 rules x 50 scopes, SLA 88%)", alerts(50), 88.0)
