"""06:15 advisor-specific issues: who did not get today's content, why, and whether a resend can help (pure).

The error class is Meta's meaning of the advisor's last WhatsApp error code (external-apis.md §1.7); codes the
window already groups live in ``delivery_window.whatsapp_errors``. Retryable means a resend today can deliver:
the fault is on our side or Meta's (outage, throttling), not the recipient's (not on WhatsApp, opted out,
engagement hold) nor a template or account problem that a resend would only repeat.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from delivery_window import whatsapp_errors as wa

# class -> (retryable, error codes). Order matters only for readability; codes are disjoint.
_CODE_CLASSES: dict[str, tuple[bool, frozenset[int]]] = {
    "unavailable": (True, wa.UNAVAILABLE),
    "throttled": (True, wa.THROTTLED),
    "recipient_undeliverable": (False, frozenset({131026})),
    "engagement_hold": (False, frozenset({131049})),  # Meta: no retry for 24 h
    "reengagement_required": (False, frozenset({131047})),
    "opted_out": (False, frozenset({131050})),
    "spam_limited": (False, frozenset({131048})),
    "template_blocked": (False, wa.TEMPLATE_BLOCKED),
    "account_restricted": (False, wa.ACCOUNT),
    "config_error": (False, frozenset({132000, 132001, 132005, 132007, 132012})),
}
# Classes without an error code.
NOT_ATTEMPTED = "not_attempted"  # no send at all: resend
AWAITING_RECEIPT = "awaiting_receipt"  # sent, no delivered/failed receipt yet: a resend could duplicate it
UNKNOWN_ERROR = "unknown_error"  # a code we do not know: a person decides
ERROR_CLASSES: tuple[str, ...] = (*_CODE_CLASSES, NOT_ATTEMPTED, AWAITING_RECEIPT, UNKNOWN_ERROR)


def classify(attempts: int, last_error_code: int | None, last_status: str | None) -> tuple[str, bool]:
    """``(error_class, retryable)`` of an advisor without a delivered message."""
    if attempts == 0:
        return NOT_ATTEMPTED, True
    if last_error_code is not None:
        for name, (retryable, codes) in _CODE_CLASSES.items():
            if last_error_code in codes:
                return name, retryable
        return UNKNOWN_ERROR, False
    if last_status == "failed":  # failed without a code: the feed is broken (the DQ suite says so too)
        return UNKNOWN_ERROR, False
    return AWAITING_RECEIPT, False


def build_issues(undelivered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``advisor_issues`` rows from ``select_undelivered_advisors`` rows."""
    issues = []
    for r in undelivered:
        error_class, retryable = classify(r["attempts"], r["last_error_code"], r["last_status"])
        issues.append(
            {
                **r,
                "issue": "not_attempted" if r["attempts"] == 0 else "not_delivered",
                "error_class": error_class,
                "retryable": retryable,
            }
        )
    return issues


def summarize(issues: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for the report and handoff: total, retryable, by class and by segment (stable order)."""
    return {
        "count": len(issues),
        "retryable": sum(1 for i in issues if i["retryable"]),
        "by_class": dict(sorted(Counter(i["error_class"] for i in issues).items())),
        "by_segment": {str(k): v for k, v in sorted(Counter(i["segment"] for i in issues).items())},
        "advisors": [
            {
                "advisor_id": i["advisor_id"],
                "segment": i["segment"],
                "tier": i["tier"],
                "error_class": i["error_class"],
                "last_error_code": i["last_error_code"],
                "retryable": i["retryable"],
            }
            for i in sorted(issues, key=lambda i: i["advisor_id"])
        ],
    }
