"""The report's first lines (issue 13, "the report tells the truth first"), pure: from the recorded rows only.

Right after the SLA: every failed check and what was done about it (a runbook, a pre-window remediation, or
nothing and why), every runbook that ran with how it started and its measured criterion (the numbers it rests
on), and every failed step.
"""

from __future__ import annotations

from datetime import datetime

from delivery_window.protocol import Protocol
from delivery_window.window import tz

FAILED = ("fail", "error")


def _hhmmss(iso: str | None) -> str:
    return datetime.fromisoformat(iso).astimezone(tz()).strftime("%H:%M:%S") if iso else "?"


def check_actions(checks: list[dict], runs: list[dict], p: Protocol) -> list[str]:
    """One line per failed check: what was done about it."""
    ran = {(r["runbook"], r["step"]) for r in runs}
    runbooks_ran = {r for r, _ in ran}
    lines = []
    for c in checks:
        if c["status"] not in FAILED:
            continue
        done = []
        for name, rem in p.go_no_go.remediations.items():
            if c["status"] in rem.triggers.get(c["check_name"], ()) and any(
                rb == rem.runbook and step.startswith("pre_window.") for rb, step in ran
            ):
                done.append(f"pre-window remediation {name}")
        runbook = p.check_runbooks.get(c["check_name"])
        if runbook and runbook in runbooks_ran:
            done.append(f"runbook {runbook}")
        what = (
            ", ".join(dict.fromkeys(done)) or "nothing: no remediation covers this check (a day-team finding)"
        )
        lines.append(f"{c['check_name']} {c['status']} ({c['phase']}): {what}")
    return lines


def _response(inc: dict, events: dict[str, dict]) -> str:
    """The page's acknowledgement (read back from PagerDuty) and the incident's resolution."""
    parts = []
    if ack := events.get("pagerduty_acknowledged"):
        parts.append(f"page acknowledged after {ack.get('seconds')} s")
    if breach := events.get("ack_breach"):
        parts.append(f"page NOT acknowledged by {_hhmmss(breach['at'])} (secondary paged)")
    if inc["status"] == "resolved" and inc.get("resolved_at") and inc.get("opened_at"):
        minutes = round((inc["resolved_at"] - inc["opened_at"]).total_seconds() / 60, 1)
        parts.append(f"incident resolved after {minutes} min")
    else:
        parts.append(f"incident {inc['status']}")
    return ", ".join(parts)


def runbook_lines(incidents: list[dict], runs: list[dict], p: Protocol) -> list[str]:
    """One line per runbook that ran: how and when it started, its measured criterion; then its failed steps."""
    lines = []
    for inc in incidents:
        events = {e["step"]: e for e in inc.get("timeline") or []}
        started = events.get("runbook_activated")
        runbook = inc.get("runbook")
        if not started or runbook not in p.runbooks:
            continue
        opened = inc["opened_at"]
        at = datetime.fromisoformat(started["at"])
        after = f", {round((at - opened).total_seconds())} s after the incident opened" if opened else ""
        verdict = events.get("success_criterion_met") or events.get("success_criterion_not_met")
        if verdict is None:
            criterion = "criterion not measured"
        else:
            met = "MET" if "success_criterion_met" in events else "NOT MET"
            criterion = f"{p.runbooks[runbook].success_criterion} {met} at {_hhmmss(verdict['at'])}: {verdict.get('reason')}"
        how = started.get("how", "after_window").replace("_", " ")
        lines.append(
            f"{runbook}: started {how} at {_hhmmss(started['at'])}{after}; {criterion}; "
            f"{_response(inc, events)}"
        )
        for r in runs:
            if r["runbook"] == runbook and r["outcome"] == "failed":
                why = (r.get("details") or {}).get("error") or (r.get("details") or {}).get("reason") or ""
                lines.append(f"  failed step {runbook}.{r['step']}: {why}".rstrip(": "))
    return lines
