"""The 06:30 daily delivery report: one summary dict and the same facts as a table a person reads in a minute."""

from __future__ import annotations

from collections import Counter
from typing import Any

from delivery_window.window import tz


def build_summary(
    window_run: dict[str, Any] | None,
    alerts: list[dict[str, Any]],
    checks: list[dict[str, Any]],
    decision: dict[str, Any] | None,
    advisor_issues: int,
) -> dict[str, Any]:
    """The report's facts, from the recorded rows only."""
    w = window_run or {}
    return {
        "sla_pct": float(w.get("sla_pct", 0.0)),
        "sla_target_pct": float(w.get("sla_target_pct", 0.0)),
        "sla_met": bool(w.get("sla_met", False)),
        "advisors_targeted": w.get("advisors_targeted", 0),
        "advisors_delivered": w.get("advisors_delivered", 0),
        "attempts": w.get("attempts", 0),
        "failed_attempts": w.get("failed_attempts", 0),
        "error_rate_pct": float(w.get("error_rate_pct", 0.0)),
        "p95_latency_ms": w.get("p95_latency_ms"),
        "peak_rate_per_min": w.get("peak_rate_per_min", 0),
        "segments": f"{w.get('segments_processed', 0)}/{w.get('segments_expected', 0)}",
        "checks": dict(sorted(Counter(c["status"] for c in checks).items())),
        "failed_checks": [
            f"{c['check_name']}: {c['message']}" for c in checks if c["status"] in ("fail", "error")
        ],
        "alerts": [
            {
                "rule": a["rule"],
                "severity": a["severity"],
                "scope": a["scope"],
                "first_fired_at": a["first_fired_at"].astimezone(tz()).strftime("%H:%M:%S IST"),
            }
            for a in alerts
        ],
        "runbook": (decision or {}).get("choice", "not decided"),
        "runbook_reasons": list((decision or {}).get("reasons", [])),
        "advisor_issues": advisor_issues,
    }


def render(day: str, s: dict[str, Any]) -> str:
    """The summary as a fixed-width table."""
    verdict = "MET" if s["sla_met"] else "MISSED"
    rows = [
        ("SLA", f"{s['sla_pct']:.2f}% (target {s['sla_target_pct']:.0f}%) {verdict}"),
        ("advisors delivered", f"{s['advisors_delivered']} / {s['advisors_targeted']}"),
        (
            "attempts / failed",
            f"{s['attempts']} / {s['failed_attempts']} ({s['error_rate_pct']:.2f}% errors)",
        ),
        ("WhatsApp API p95", f"{s['p95_latency_ms']} ms"),
        ("peak rate", f"{s['peak_rate_per_min']} msg/min"),
        ("segments processed", s["segments"]),
        ("checks", ", ".join(f"{k} {v}" for k, v in s["checks"].items()) or "none recorded"),
        ("alerts", str(len(s["alerts"]))),
        ("runbook", s["runbook"]),
        ("advisors with issues", str(s["advisor_issues"])),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"Delivery window report {day}", "=" * (width + 50)]
    lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
    for a in s["alerts"]:
        lines.append(
            f"{'  alert'.ljust(width)}  {a['rule']} [{a['severity']}] {a['scope']} at {a['first_fired_at']}"
        )
    for c in s["failed_checks"]:
        lines.append(f"{'  check'.ljust(width)}  {c}")
    for r in s["runbook_reasons"]:
        lines.append(f"{'  why'.ljust(width)}  {r}")
    return "\n".join(lines)
