"""Go / no-go before 06:00: proceed, or the pre-window remediations — a pure function of the recorded checks.

``decide`` reads the 05:30 and 05:45 check results (``delivery_ops.check_results``) and ``protocol.yaml``'s
``go_no_go`` section: each remediation names the check verdicts that call for it. All that apply are chosen, in
``go_no_go.priority`` order (they act on different things: the database, sender numbers, content, AI services).

- ``exclude_sender_number`` targets the numbers the checks found unhealthy (``observed.unhealthy_ids``); it is
  not chosen when no healthy number would be left to carry their traffic.
- ``fallback_content`` targets the segments whose template, content or approval failed
  (``observed.segments_affected``; every segment when a check could not say which).
- ``ai_service_fallback`` switches every segment to the prepared fallback.
- A check expected but not recorded counts as ``error`` (its task died before recording).
- A failing check no remediation covers is listed as ``unremediated``: alerted once, and the day proceeds.

``alerts`` turns the outcome into the notifications the escalation rules call for, with deterministic dedup keys
``delivery_window:{date}:go_no_go:{remediation}`` (and ``...:go_no_go:unremediated_checks``), so a rerun
never alerts twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from delivery_window.escalation import keys
from delivery_window.protocol import Protocol
from delivery_window.records import Decision

PROCEED = "proceed"
FAILING = frozenset({"fail", "error"})
NOT_RECORDED = "no result recorded (the check task did not finish)"


@dataclass(frozen=True)
class Remediation:
    """One chosen pre-window remediation and what it acts on."""

    name: str
    runbook: str
    triggered_by: tuple[str, ...]  # "check_x fail: message"
    phone_number_ids: tuple[str, ...] = ()
    segments: tuple[int, ...] = ()


@dataclass(frozen=True)
class GoNoGo:
    """The outcome: ``proceed`` or the remediations joined by ``+``, and why."""

    choice: str
    reasons: tuple[str, ...]
    remediations: tuple[Remediation, ...] = ()
    unremediated: tuple[str, ...] = ()  # "check_x error: message"
    warnings: tuple[str, ...] = ()

    def decision(self) -> Decision:
        """The record for ``delivery_ops.decisions`` (decision_point ``go_no_go``)."""
        return Decision(self.choice, self.reasons, tuple(r.name for r in self.remediations))

    def remediation(self, name: str) -> Remediation | None:
        """The chosen remediation ``name``, if it was chosen."""
        return next((r for r in self.remediations if r.name == name), None)


@dataclass(frozen=True)
class Alert:
    """A notification the go/no-go outcome calls for (escalation rules of ``go_no_go`` in protocol.yaml)."""

    dedup_key: str
    page: bool
    pagerduty_severity: str
    slack: str  # channel purpose (communication_channels.slack_channels)
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def _verdicts(checks: Iterable[Mapping[str, Any]], expected: Iterable[str]) -> dict[str, dict[str, Any]]:
    expected = list(expected)
    rows = {c["check_name"]: dict(c) for c in checks if not expected or c["check_name"] in expected}
    for name in expected:
        rows.setdefault(
            name, {"check_name": name, "status": "error", "message": NOT_RECORDED, "observed": {}}
        )
    return rows


def _line(row: Mapping[str, Any]) -> str:
    return f"{row['check_name']} {row['status']}: {row.get('message') or ''}".rstrip(": ")


def _ids(rows: list[Mapping[str, Any]]) -> list[str]:
    return sorted({i for r in rows for i in (r.get("observed") or {}).get("unhealthy_ids") or []})


def _numbers_known(verdicts: Mapping[str, Mapping[str, Any]]) -> set[str]:
    obs_shards = (verdicts.get("check_number_shards") or {}).get("observed") or {}
    obs_quality = (verdicts.get("check_sender_quality") or {}).get("observed") or {}
    return {s.get("id") for s in obs_shards.get("shards") or []} | {
        n.get("id") for n in obs_quality.get("numbers") or []
    }


def decide(checks: Iterable[Mapping[str, Any]], p: Protocol, expected: Iterable[str] = ()) -> GoNoGo:
    """Proceed, or which remediations to run before 06:00, from the recorded check verdicts.

    ``expected``: the pre-delivery check names; when given, only those are judged (a rerun also finds the
    post-delivery checks of the day) and a missing one counts as ``error``.
    """
    verdicts = _verdicts(checks, expected)
    all_segments = tuple(range(1, p.checks.advisor_segments + 1))
    chosen: list[Remediation] = []
    reasons: list[str] = []
    covered: set[str] = set()
    for name in p.go_no_go.priority:
        spec = p.go_no_go.remediations[name]
        hits = [
            verdicts[c]
            for c, statuses in spec.triggers.items()
            if c in verdicts and verdicts[c]["status"] in statuses
        ]
        if not hits:
            continue
        lines = tuple(_line(h) for h in hits)
        rem = Remediation(name, spec.runbook, lines)
        if name == "exclude_sender_number":
            ids = _ids(hits)
            left = _numbers_known(verdicts) - set(ids)
            if not ids:
                reasons.append(
                    f"{name} not possible: the failing checks name no sender number ({'; '.join(lines)})"
                )
                continue
            if not left:
                reasons.append(
                    f"{name} not possible: every sender number is unhealthy, nothing to re-plan onto"
                )
                continue
            rem = Remediation(name, spec.runbook, lines, phone_number_ids=tuple(ids))
        elif name == "fallback_content":
            segments = {s for h in hits for s in (h.get("observed") or {}).get("segments_affected") or []}
            rem = Remediation(name, spec.runbook, lines, segments=tuple(sorted(segments)) or all_segments)
        elif name == "ai_service_fallback":
            rem = Remediation(name, spec.runbook, lines, segments=all_segments)
        chosen.append(rem)
        covered |= {h["check_name"] for h in hits}
        target = (
            f" numbers {', '.join(rem.phone_number_ids)}"
            if rem.phone_number_ids
            else (f" segments {list(rem.segments)}" if rem.segments else "")
        )
        reasons.append(f"{name} ({spec.runbook}){target}: " + "; ".join(lines))
    if any(r.name in ("fallback_content", "ai_service_fallback") for r in chosen):
        for c in ("check_fallback_content", "check_fallback_armed"):
            if c in verdicts and verdicts[c]["status"] in FAILING:
                reasons.append(f"caution, the fallback may not be functional: {_line(verdicts[c])}")
    unremediated = tuple(
        _line(v) for n, v in sorted(verdicts.items()) if v["status"] in FAILING and n not in covered
    )
    reasons += [f"no pre-window remediation for {u}" for u in unremediated]
    warnings = tuple(_line(v) for _, v in sorted(verdicts.items()) if v["status"] == "warn")
    reasons += [f"warning {w}" for w in warnings]
    if not chosen and not unremediated and not warnings:
        reasons.append(f"all {len(verdicts)} checks pass")
    choice = "+".join(r.name for r in chosen) or PROCEED
    return GoNoGo(choice, tuple(reasons), tuple(chosen), unremediated, warnings)


def alerts(result: GoNoGo, day: date, p: Protocol) -> tuple[Alert, ...]:
    """The notifications the outcome calls for: one per remediation, one for the unremediated checks."""
    out = []
    for rem in result.remediations:
        spec = p.go_no_go.remediations[rem.name].alert
        target = (
            f" (numbers {', '.join(rem.phone_number_ids)})"
            if rem.phone_number_ids
            else (f" (segments {list(rem.segments)})" if rem.segments else "")
        )
        out.append(
            Alert(
                keys.go_no_go_key(day, rem.name),
                spec.page,
                spec.pagerduty_severity,
                spec.slack,
                f"Go/no-go {day}: {rem.name}{target} before 06:00 IST, runbook {rem.runbook}: {rem.triggered_by[0]}",
                {
                    "remediation": rem.name,
                    "runbook": rem.runbook,
                    "doc": p.runbooks[rem.runbook].doc,
                    "triggered_by": list(rem.triggered_by),
                    "phone_number_ids": list(rem.phone_number_ids),
                    "segments": list(rem.segments),
                },
            )
        )
    if result.unremediated:
        spec = p.go_no_go.unremediated_alert
        names = ", ".join(u.split(" ", 1)[0] for u in result.unremediated)
        out.append(
            Alert(
                keys.go_no_go_key(day, "unremediated_checks"),
                spec.page,
                spec.pagerduty_severity,
                spec.slack,
                f"Go/no-go {day}: failing checks with no pre-window remediation: {names}",
                {"checks": list(result.unremediated)},
            )
        )
    return tuple(out)
