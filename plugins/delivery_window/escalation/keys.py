"""Every identity the day's records and messages carry, in one place (ARCHITECTURE §5, §7).

Keys are deterministic: the same day, rule, scope or incident always gives the same key, so a retry, a rerun
or a replay finds the row it wrote before and sends nothing twice.

| what | form | where it is used |
|---|---|---|
| incident id | ``<date>:<runbook>``, ``<date>:<business row>``, ``<date>:task:<task_id>`` | ``incidents.incident_id`` |
| alert key | ``delivery_window:<date>:<rule>:<scope>`` | ``alerts.dedup_key`` (one row per rule and scope) |
| page key | ``delivery_window:<incident id>`` | the PagerDuty ``dedup_key`` of every alert event of an incident |
| group message | ``<page key>:alerts:<n>:<channel>`` | ledger/outbox key of the n-th alert group's message |
| Slack post of an alert outside any incident | ``slack:<alert key>[:<purpose>]`` | ledger/outbox key |
| status post | ``slack:delivery_window:<date>:status:<what>`` | ledger/outbox key of #delivery-ops status lines |
| other post of the day | ``slack:delivery_window:<date>:<what>`` | daily summary, late-checkpoint notice |
| go/no-go alert | ``delivery_window:<date>:go_no_go:<name>`` (Slack: ``slack:`` + it) | ledger/outbox key |
| escalation step | ``delivery_window:<incident>:<source>:<target>`` (PagerDuty), ``slack:<incident>:<source>:<target>:<purpose>`` | ledger/outbox key; a page of a chain or matrix step is its own PagerDuty incident (another person) |
| service message | ``<kind>:<incident>:<source>`` | status pages, advisor notices |
| lifecycle | ``<trigger key>:acknowledge`` / ``:resolve``; ``status_page_update:<incident>:status_page:<page>:resolved`` | closing messages |
| approval request | ``slack:<incident>:approval_request:<step>`` | the war-room "approval needed" post |
"""

from __future__ import annotations

from datetime import date

PREFIX = "delivery_window"
WAR_ROOM = "critical_incidents"  # the Slack purpose of #delivery-war-room


def incident_id(day: date, name: str) -> str:
    """The day's incident of a runbook or a business-matrix row (``name``)."""
    return f"{day.isoformat()}:{name}"


def task_incident_id(day: date, task_id: str) -> str:
    """The day's incident of a failed task."""
    return incident_id(day, f"task:{task_id}")


def alert_key(day: date, rule: str, scope: str) -> str:
    """The key of an alert (rule × scope) of a day: ``alerts.dedup_key``, stable across ticks and replays."""
    return f"{PREFIX}:{day.isoformat()}:{rule}:{scope}"


def page_key(incident: str) -> str:
    """The PagerDuty dedup key of an incident: every alert event of the incident carries it (one PagerDuty
    incident per protocol incident; later alerts are appended to its log)."""
    return f"{PREFIX}:{incident}"


def group_message_key(incident: str, batch: int, channel: str) -> str:
    """Ledger/outbox key of the message of an incident's ``batch``-th alert group on ``channel``."""
    return f"{page_key(incident)}:alerts:{batch}:{channel}"


def slack_alert_keys(key: str, purpose: str) -> list[tuple[str, str]]:
    """(Slack purpose, ledger key) of the posts of an alert outside any incident, ``key`` its ``alert_key``: the
    war room always, and the rule's own channel (``alert_rules.<rule>.slack``) when that is another one."""
    own = [(purpose, f"slack:{key}:{purpose}")] if purpose != WAR_ROOM else []
    return [(WAR_ROOM, f"slack:{key}"), *own]


def day_key(day: date, what: str) -> str:
    """Ledger/outbox key of a Slack post of the day outside any incident (``daily_summary``,
    ``checkpoint_0605_late``)."""
    return f"slack:{PREFIX}:{day.isoformat()}:{what}"


def handoff_page_key(day: date, digest: str) -> str:
    """Ledger/outbox key of one version of the day's handoff page (issue 14): a changed page is a new key."""
    return f"confluence:{PREFIX}:{day.isoformat()}:handoff:{digest}"


def status_key(day: date, what: str) -> str:
    """Ledger/outbox key of a #delivery-ops status line of the window (``opened``, ``HHMM``, ``closed``)."""
    return day_key(day, f"status:{what}")


def go_no_go_key(day: date, name: str) -> str:
    """Key of a go/no-go alert (the PagerDuty dedup key; its Slack post adds ``slack:``)."""
    return f"{PREFIX}:{day.isoformat()}:go_no_go:{name}"


def slack_of(key: str) -> str:
    """The Slack post's key beside a PagerDuty key (go/no-go alerts)."""
    return f"slack:{key}"


def step_key(incident: str, source: str, target: str, purpose: str | None) -> str:
    """An escalation step's key on one channel: PagerDuty (``purpose`` None) or a Slack purpose."""
    base = f"{incident}:{source}:{target}"
    return f"{PREFIX}:{base}" if purpose is None else f"slack:{base}:{purpose}"


def service_key(kind: str, incident: str, source: str) -> str:
    """A status-page update or advisor notice of an incident."""
    return f"{kind}:{incident}:{source}"


def lifecycle_key(trigger_key: str, action: str) -> str:
    """The acknowledge / resolve event that follows a trigger."""
    return f"{trigger_key}:{action}"


def approval_request_key(incident: str, step: str) -> str:
    """The war-room post asking a human to approve a runbook step."""
    return f"slack:{incident}:approval_request:{step}"
