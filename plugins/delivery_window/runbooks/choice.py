"""Which remediation runbook to run, as a pure function of the recorded alerts and checks.

Each alert rule and each check names its runbook in protocol.yaml (``alert_rules.<rule>.runbook``,
``check_runbooks.<check>``). When several apply, ``runbook_priority`` orders them: the database first
(nothing else can be verified without it), then delivery itself, then WhatsApp quality, then AI services.
All of them run, one after the other in that order (``candidates``); ``choice`` is the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from delivery_window.protocol import Protocol
from delivery_window.records import AlertRecord, Decision

NO_INCIDENT = "no_incident"
FAILING_CHECK_STATUSES = frozenset({"fail", "error"})


def choose_runbook(
    alerts: Iterable[AlertRecord], checks: Iterable[Mapping[str, str]], protocol: Protocol
) -> Decision:
    """The runbook to run (or ``no_incident``), every applicable runbook in priority order, and why."""
    checks = list(checks)
    reasons: dict[str, list[str]] = {}
    for alert in alerts:
        rule = protocol.alert_rules.get(alert.rule)
        if rule is not None and rule.runbook:
            reasons.setdefault(rule.runbook, []).append(
                f"alert {alert.rule} ({alert.severity}, {alert.scope})"
            )
    for check in checks:
        runbook = protocol.check_runbooks.get(check["check_name"])
        if runbook and check["status"] in FAILING_CHECK_STATUSES:
            reasons.setdefault(runbook, []).append(f"check {check['check_name']} {check['status']}")

    if not reasons:
        failed = [f"{c['check_name']} {c['status']}" for c in checks if c["status"] in FAILING_CHECK_STATUSES]
        why = "no alert with a runbook fired" + (
            f"; failed checks with no runbook (day-team findings): {', '.join(failed)}"
            if failed
            else " and no check failed"
        )
        return Decision(choice=NO_INCIDENT, reasons=(why,), candidates=())
    ordered = tuple(r for r in protocol.runbook_priority if r in reasons)
    first = ordered[0]
    why = tuple(f"{first}: {r}" for r in reasons[first]) + tuple(
        f"also applies, runs after {first}: {r} ({'; '.join(reasons[r])})" for r in ordered[1:]
    )
    return Decision(choice=first, reasons=why, candidates=ordered)


def forced(decision: Decision, runbook: str, protocol: Protocol) -> Decision:
    """The decision when the run's ``force_runbook`` param names a runbook: that one alone, reasons kept."""
    if runbook not in protocol.runbooks:
        raise ValueError(f"force_runbook {runbook!r} is not a runbook; known: {', '.join(protocol.runbooks)}")
    return Decision(
        choice=runbook,
        reasons=(f"{runbook}: forced by the run's force_runbook param", *decision.reasons),
        candidates=(runbook,),
    )
