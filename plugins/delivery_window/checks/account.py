"""WhatsApp account restrictions (issue 14), judged from what the Cloud API says about the account (pure).

``normalize`` turns any of the package's raw reads (the 05:30 rate-limit probe, the 05:45 quality and shard
probes, the monitor's and the 06:05 checkpoint's account reads) into one shape; ``judge`` says which row of the
protocol's ``whatsapp_account_restriction`` condition it meets:

* ``account_suspended`` when the WABA's ``account_review_status`` is in
  ``whatsapp_account_health.suspended_review_statuses``, or its (or its business's) ``health_status``
  ``can_send_message`` is in ``blocked_health``, or no sender number can send (each one's status in
  ``suspended_number_statuses`` or its own ``can_send_message`` in ``blocked_health``);
* else ``quality_rating_to_medium`` when a sender number's ``quality_rating`` is in the quality ratings of the
  business_escalation row of that condition (YELLOW, RED);
* else ``none``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from delivery_window.protocol import Protocol

CONDITION = "whatsapp_account_restriction"  # business_escalation rows' condition (protocol.yaml)
SUSPENDED = "account_suspended"  # the event of business_escalation.whatsapp_account_suspended
MEDIUM = (
    "quality_rating_to_medium"  # the protocol's name of business_escalation.whatsapp_quality_rating_medium
)
NONE = "none"
ACCOUNT_ENTITIES = ("WABA", "BUSINESS")  # health_status entities that stand for the whole account


@dataclass(frozen=True)
class AccountVerdict:
    """What the account's fields mean, and why."""

    verdict: str  # none | quality_rating_to_medium | account_suspended
    reasons: tuple[str, ...]
    observed: Mapping[str, Any]  # the normalised fields judged


def _errors(entity: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"error_code": e.get("error_code"), "error_description": e.get("error_description")}
        for e in entity.get("errors") or []
        if isinstance(e, Mapping)
    ]


def _health(node: Mapping[str, Any] | None) -> tuple[str | None, list[dict[str, Any]]]:
    """(can_send_message, blocked account-level entities) of a node's ``health_status``."""
    health = (node or {}).get("health_status")
    if not isinstance(health, Mapping):
        return None, []
    accounts = [
        {
            "entity_type": e.get("entity_type"),
            "can_send_message": e.get("can_send_message"),
            "errors": _errors(e),
        }
        for e in health.get("entities") or []
        if isinstance(e, Mapping) and e.get("entity_type") in ACCOUNT_ENTITIES
    ]
    return health.get("can_send_message"), accounts


def normalize(raw: Any) -> dict[str, Any]:
    """One shape for every read: ``numbers`` [{id, quality_rating, status, can_send_message, messaging_limit,
    throughput}], ``waba`` {account_review_status, can_send_message, entities} or None, ``account_entities`` (the
    WABA/BUSINESS entities the numbers' health_status named). A raw list is a list of numbers."""
    numbers_raw = raw if isinstance(raw, list) else (raw or {}).get("numbers") or []
    numbers, entities = [], {}
    for n in numbers_raw:
        if not isinstance(n, Mapping):
            continue
        can_send, accounts = _health(n)
        can_send = can_send or n.get("can_send_message")  # an observation already normalised
        for e in accounts:
            entities.setdefault(e["entity_type"], e)
        numbers.append(
            {
                "id": str(n.get("id")),
                "quality_rating": n.get("quality_rating"),
                "status": n.get("status"),
                "can_send_message": can_send,
                "messaging_limit": n.get("whatsapp_business_manager_messaging_limit")
                or n.get("messaging_limit_tier")
                or n.get("messaging_limit"),
                "throughput": (n.get("throughput") or {}).get("level")
                if isinstance(n.get("throughput"), Mapping)
                else n.get("throughput"),
            }
        )
    waba_raw = None if isinstance(raw, list) else (raw or {}).get("waba")
    waba = None
    if isinstance(waba_raw, Mapping):
        can_send, accounts = _health(waba_raw)
        can_send = can_send or waba_raw.get("can_send_message")
        accounts = accounts or [e for e in waba_raw.get("entities") or [] if isinstance(e, Mapping)]
        waba = {
            "account_review_status": waba_raw.get("account_review_status"),
            "can_send_message": can_send,
            "entities": accounts,
        }
        for e in accounts:
            entities[e["entity_type"]] = e
    for e in [] if isinstance(raw, list) else (raw or {}).get("account_entities") or []:
        if isinstance(e, Mapping):
            entities.setdefault(e.get("entity_type"), e)
    return {"numbers": numbers, "waba": waba, "account_entities": sorted(entities.values(), key=_kind)}


def _kind(e: Mapping[str, Any]) -> str:
    return str(e.get("entity_type"))


def _described(e: Mapping[str, Any]) -> str:
    codes = "; ".join(f"{x['error_code']} {x['error_description']}" for x in e.get("errors") or [])
    return f"{e['entity_type']} health_status {e['can_send_message']}" + (f" ({codes})" if codes else "")


def medium_ratings(protocol: Protocol) -> tuple[str, ...]:
    """The quality ratings of the condition's quality row (business_escalation.whatsapp_quality_rating_medium)."""
    return tuple(
        rating
        for row in protocol.business_escalation.values()
        if row.condition == CONDITION and row.threshold.quality_ratings
        for rating in row.threshold.quality_ratings
    )


def judge(observed: Mapping[str, Any], protocol: Protocol) -> AccountVerdict:
    """The verdict of ``protocol`` on normalised account fields (see the module docstring)."""
    h = protocol.whatsapp_account_health
    suspended: list[str] = []
    waba = observed.get("waba") or {}
    if waba.get("account_review_status") in h.suspended_review_statuses:
        suspended.append(f"WABA account_review_status {waba['account_review_status']}")
    if waba.get("can_send_message") in h.blocked_health:
        suspended.append(f"WABA health_status {waba['can_send_message']}")
    for e in observed.get("account_entities") or []:
        if e.get("can_send_message") in h.blocked_health:
            suspended.append(_described(e))
    numbers = list(observed.get("numbers") or [])
    dead = [
        n
        for n in numbers
        if n.get("status") in h.suspended_number_statuses or n.get("can_send_message") in h.blocked_health
    ]
    if numbers and len(dead) == len(numbers):
        labels = ", ".join(f"{n['id']}={n.get('can_send_message') or n.get('status')}" for n in dead)
        suspended.append(f"no sender number can send: {labels}")
    if suspended:
        return AccountVerdict(SUSPENDED, tuple(suspended), observed)
    ratings = medium_ratings(protocol)
    medium = [
        f"{n['id']} quality_rating {n['quality_rating']}"
        for n in numbers
        if n.get("quality_rating") in ratings
    ]
    if medium:
        return AccountVerdict(MEDIUM, tuple(medium), observed)
    return AccountVerdict(NONE, (), observed)
