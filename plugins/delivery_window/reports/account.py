"""The report's lines on the WhatsApp account (issue 14) and on the latency baseline (pure).

``account_lines``: what the looks at the account found (``delivery_ops.account_observations``) and the
account-restriction incidents of the day with their runbook and the steps the escalation ledger planned.
``baseline_line``: says when latency_vs_baseline judged against protocol.yaml's default baseline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from delivery_window.checks.account import CONDITION, NONE
from delivery_window.monitor.rules import baseline_note
from delivery_window.protocol import Protocol


def _hms(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%H:%M:%S IST")


def account_lines(
    looks: Iterable[Mapping[str, Any]],
    incidents: Iterable[Mapping[str, Any]],
    escalations: Iterable[Mapping[str, Any]],
    protocol: Protocol,
    tz: tzinfo,
) -> list[str]:
    """One line per restriction found (its first look), per account incident (runbook, steps), or one line
    saying every look found none."""
    looks = list(looks)
    if not looks:
        return ["not observed: no look at the WhatsApp account was recorded"]
    out, seen = [], set()
    for look in looks:
        verdict = look["verdict"]
        if verdict == NONE or verdict in seen:
            continue
        seen.add(verdict)
        reasons = "; ".join(look.get("reasons") or [])
        out.append(f"{verdict} first seen at {_hms(look['observed_at'], tz)} by {look['source']}: {reasons}")
    if not out:
        first, last = looks[0]["observed_at"], looks[-1]["observed_at"]
        out.append(f"no restriction in {len(looks)} looks ({_hms(first, tz)}–{_hms(last, tz)})")
    rows = {k for k, r in protocol.business_escalation.items() if r.condition == CONDITION}
    steps = list(escalations)
    for inc in incidents:
        row = str(inc["incident_id"]).split(":", 1)[-1]
        if row not in rows:
            continue
        doc = next((e.get("doc") for e in inc.get("timeline") or [] if e.get("step") == "runbook_doc"), None)
        planned = sorted(
            {
                (s["due_at"], s["target"], s.get("action") or "notify")
                for s in steps
                if s["incident_id"] == inc["incident_id"]
            }
        )
        what = ", ".join(f"{t} {a} {_hms(d, tz)}" for d, t, a in planned) or "no step planned"
        out.append(
            f"incident {inc['incident_id']} {inc['status']} (opened {_hms(inc['opened_at'], tz)})"
            + (f" · runbook {doc}" if doc else "")
            + f" · steps: {what}"
        )
    return out


def baseline_line(p95s: list[int], protocol: Protocol) -> str | None:
    """The latency baseline's note when it is protocol.yaml's default (too few earlier days), else None."""
    if len(p95s) >= protocol.alert_thresholds.latency_baseline_min_days:
        return None
    return f"latency_vs_baseline judged against the {baseline_note(len(p95s), protocol)}"
