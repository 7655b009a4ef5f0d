"""Which alerts become messages, and in which groups (pure; Prometheus Alertmanager's semantics).

* **Silences** (``delivery_ops.silences``, planned maintenance): an alert whose labels match every matcher of a
  silence active at its first firing is recorded with ``silenced_by`` and sends nothing. A severity-1 or
  immediate-page alert is never silenced unless ``silences.may_mute_severity_1``.
* **Inhibition** (``inhibit_rules``): an alert matching a rule's ``target_match`` is recorded with
  ``inhibited_by`` and sends nothing on its own while an alert matching ``source_match``, with the same values of
  the ``equal`` labels, has fired (at or before it) and its incident is not resolved.
* **Grouping** (``grouping``): one group per incident. Its first alerts wait ``group_wait_seconds``; alerts that
  join later go out at the next ``group_interval_seconds`` boundary after the first send. Each batch is one
  message per channel; every PagerDuty event of the group carries the incident's dedup key.

Labels of an alert: ``rule``, ``scope``, ``level`` (its protocol level) and ``runbook`` ("" for none).
How each alert went out (``alerts.routing``): ``paged`` (in the batch that opened the PagerDuty incident),
``grouped`` (carried by its incident's group, joining a page or a post), ``posted`` (an alert of no incident,
posted on its own), ``inhibited``, ``silenced``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from delivery_window.escalation.model import PAGING_LEVELS, AlertRef
from delivery_window.protocol import ALERT_LABELS, Protocol

PAGED, GROUPED, POSTED, INHIBITED, SILENCED = "paged", "grouped", "posted", "inhibited", "silenced"


@dataclass(frozen=True)
class Silence:
    """A silence as stored: active from ``starts_at`` until ``ends_at`` (or ``expired_at`` when earlier)."""

    silence_id: str
    starts_at: datetime
    ends_at: datetime
    matchers: Mapping[str, str]
    reason: str = ""
    author: str = ""
    expired_at: datetime | None = None

    @classmethod
    def of_row(cls, r: Mapping) -> Silence:
        """A ``delivery_ops.silences`` row (``select_silences.sql``) as a Silence."""
        return cls(
            str(r["silence_id"]),
            r["starts_at"],
            r["ends_at"],
            r["matchers"],
            r["reason"],
            r["author"],
            r["expired_at"],
        )

    @property
    def until(self) -> datetime:
        """When it stops muting."""
        return min(self.ends_at, self.expired_at) if self.expired_at else self.ends_at

    def active_at(self, t: datetime) -> bool:
        """True while it mutes (start inclusive, end exclusive)."""
        return self.starts_at <= t < self.until


class SilenceError(ValueError):
    """A silence that cannot be stored; the message says which part is wrong."""


def labels(a: AlertRef, protocol: Protocol) -> dict[str, str]:
    """The labels of an alert (see the module docstring)."""
    rule = protocol.alert_rules.get(a.rule)
    return {
        "rule": a.rule,
        "scope": a.scope,
        "level": a.level,
        "runbook": (rule.runbook if rule else None) or "",
    }


def _matches(matcher: Mapping[str, Sequence[str] | str], have: Mapping[str, str]) -> bool:
    for label, want in matcher.items():
        values = (want,) if isinstance(want, str) else tuple(want)
        if have.get(label) not in values:
            return False
    return True


def silenced_by(a: AlertRef, silences: Iterable[Silence], protocol: Protocol) -> str | None:
    """The id of the first silence (by id) that mutes ``a``, or None."""
    if a.level in PAGING_LEVELS and not protocol.silences.may_mute_severity_1:
        return None
    have = labels(a, protocol)
    for s in sorted(silences, key=lambda s: (len(s.silence_id), s.silence_id)):  # numeric ids, oldest first
        if s.active_at(a.first_fired_at) and _matches(s.matchers, have):
            return s.silence_id
    return None


def inhibited_by(
    a: AlertRef, alerts: Iterable[AlertRef], protocol: Protocol, resolved_at: Mapping[str, datetime]
) -> tuple[str, str] | None:
    """(rule, scope) of the alert that inhibits ``a``, or None. ``resolved_at`` maps a runbook to the instant its
    incident resolved (a resolved incident no longer inhibits)."""
    have = labels(a, protocol)
    for rule in protocol.inhibit_rules:
        if not _matches(rule.target_match, have):
            continue
        for src in sorted(alerts, key=lambda r: (r.first_fired_at, r.rule, r.scope)):
            if (src.rule, src.scope) == (a.rule, a.scope) or src.first_fired_at > a.first_fired_at:
                continue
            theirs = labels(src, protocol)
            if not _matches(rule.source_match, theirs) or any(theirs[k] != have[k] for k in rule.equal):
                continue
            done = resolved_at.get(theirs["runbook"])
            if done is not None and done <= a.first_fired_at:
                continue
            return src.rule, src.scope
    return None


def suppress(
    alerts: Sequence[AlertRef],
    silences: Iterable[Silence],
    protocol: Protocol,
    resolved_at: Mapping[str, datetime] | None = None,
) -> list[AlertRef]:
    """The alerts with ``suppressed`` / ``suppressed_by`` set (a silence first, then inhibition)."""
    silences = list(silences)
    out = []
    for a in alerts:
        by = silenced_by(a, silences, protocol)
        if by is not None:
            out.append(a.suppressed_as(SILENCED, by))
            continue
        src = inhibited_by(a, alerts, protocol, resolved_at or {})
        out.append(a.suppressed_as(INHIBITED, f"{src[0]}:{src[1]}") if src else a)
    return out


def batches(alerts: Sequence[AlertRef], protocol: Protocol) -> list[tuple[datetime, tuple[AlertRef, ...]]]:
    """The send batches of one incident's alerts that are not suppressed: (due instant, alerts), in time order.

    The first batch is due ``group_wait_seconds`` after the first alert and holds every alert fired by then;
    a later alert goes in the batch due at the next ``group_interval_seconds`` boundary after the first send
    (with an interval of 0, each distinct firing instant is its own batch). The boundaries are anchored on the
    incident's first alert, muted or not, so a silence added later changes no batch's instant (nor its keys)."""
    every_alert = sorted(alerts, key=lambda a: (a.first_fired_at, a.rule, a.scope))
    if not every_alert:
        return []
    g = protocol.grouping
    first = every_alert[0].first_fired_at + timedelta(seconds=g.group_wait_seconds)
    every = g.group_interval_seconds
    out: dict[datetime, list[AlertRef]] = {}
    for a in (a for a in every_alert if a.suppressed is None):
        if a.first_fired_at <= first:
            due = first
        elif every == 0:
            due = a.first_fired_at
        else:
            steps = math.ceil((a.first_fired_at - first).total_seconds() / every)
            due = first + timedelta(seconds=steps * every)
        out.setdefault(due, []).append(a)
    return [(due, tuple(group)) for due, group in sorted(out.items())]


def routing_of(
    incident_alerts: Sequence[AlertRef], protocol: Protocol, *, in_incident: bool = True
) -> dict[tuple[str, str], tuple[str, str | None]]:
    """How each alert went out: (rule, scope) -> (routing, by) (see the module docstring)."""
    out: dict[tuple[str, str], tuple[str, str | None]] = {}
    for a in incident_alerts:
        if a.suppressed is not None:
            out[(a.rule, a.scope)] = (a.suppressed, a.suppressed_by)
    paged = False
    for _, group in batches(incident_alerts, protocol):
        pages = in_incident and not paged and any(_pages(a, protocol) for a in group)
        for a in group:
            routing = PAGED if pages else GROUPED if in_incident else POSTED
            out[(a.rule, a.scope)] = (routing, None)
        paged = paged or pages
    return out


def _pages(a: AlertRef, protocol: Protocol) -> bool:
    rule = protocol.alert_rules.get(a.rule)
    return bool(rule and rule.page)


def check_matchers(matchers: Mapping[str, str], protocol: Protocol) -> dict[str, str]:
    """Validate a silence's matchers: known labels, a known rule / level / runbook, at least one matcher."""
    if not matchers:
        raise SilenceError(
            "a silence needs at least one --match label=value (an empty one would mute everything)"
        )
    known = {
        "rule": set(protocol.alert_rules),
        "level": {r.level for r in protocol.alert_rules.values()},
        "runbook": set(protocol.runbooks),
    }
    for label, value in matchers.items():
        if label not in ALERT_LABELS:
            raise SilenceError(f"unknown match field {label!r}; known: {', '.join(ALERT_LABELS)}")
        if not value:
            raise SilenceError(f"match {label}= needs a value")
        if label in known and value not in known[label]:
            raise SilenceError(f"unknown {label} {value!r}; known: {', '.join(sorted(known[label]))}")
    return dict(matchers)


def check_span(starts_at: datetime, ends_at: datetime, protocol: Protocol) -> None:
    """A silence's span must be aware, end after it starts, and last at most ``silences.max_duration_hours``."""
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise SilenceError("--start and --end need a time zone (e.g. 2026-12-05T05:30+05:30)")
    if ends_at <= starts_at:
        raise SilenceError(f"--end {ends_at.isoformat()} is not after --start {starts_at.isoformat()}")
    longest = timedelta(hours=protocol.silences.max_duration_hours)
    if ends_at - starts_at > longest:
        raise SilenceError(
            f"a silence lasts at most {protocol.silences.max_duration_hours} h (silences.max_duration_hours); "
            f"this one lasts {ends_at - starts_at}"
        )
