"""Pre-delivery scenarios: what the 05:30/05:45 checks find, and the go/no-go remediation each calls for.

Each day's data is the healthy day's; only the state the external services report (or a pre-window table)
differs. The four of issue 3's done criteria, then more bad states for the check tests:

============================ ================================================================= ===================
scenario                     bad state                                                          go/no-go
============================ ================================================================= ===================
template_paused              daily_brief_seg2 (en, hi) PAUSED after its quality went RED        fallback_content
shard_red                    sender number 1065550103 quality RED                               exclude_sender_number
compliance_slow              every compliance-engine answer takes 1.6 s (p95 > 1.5 s)           ai_service_fallback
db_pool_exhausted            the delivery service's DB pool: 100/100 in use, 37 waiting         database_emergency
number_flagged               sender number 1065550101 status FLAGGED                            exclude_sender_number
quality_yellow               sender number 1065550104 quality YELLOW (medium): shard not GREEN  exclude_sender_number
template_rejected            daily_brief_seg3 (hi) REJECTED                                     fallback_content
waba_blocked                 WABA health_status BLOCKED (payment method, code 141006)           proceed + alert
approval_pending             one content item of segment 1 still pending compliance approval   fallback_content
content_not_rendered         segment 4's chart not rendered, its asset missing on Cloudinary    fallback_content
oncall_gap                   nobody on call at escalation level 1                              proceed + alert
monitors_muted               Datadog monitor success_rate_below_98 muted                        proceed + alert
============================ ================================================================= ===================

``db_pool_exhausted`` is an API-level fault: the check reads the delivery service's own pool
(``GET /delivery/v1/database/pool``) next to the test database's real ``pg_stat_activity``, so the pool looks
exhausted without starving the real Postgres the test suite shares. After ``POST /v1/database/failover`` the
service reports a healthy pool on the replica.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from delivery_window.sandbox.scenarios import SENDER_NUMBERS, Scenario, register

RED_NUMBER = SENDER_NUMBERS[3].phone_number_id
FLAGGED_NUMBER = SENDER_NUMBERS[1].phone_number_id
YELLOW_NUMBER = SENDER_NUMBERS[4].phone_number_id
COMPLIANCE_SLOW_SECONDS = 1.6


def _api(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Wrap an in-place change of a deep copy of the healthy API state."""

    def api(info: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(info)
        change(out)
        return out

    return api


def _number(phone_number_id: str, **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(info: dict[str, Any]) -> None:
        for n in info["phone_numbers"]:
            if n["id"] == phone_number_id:
                n.update(fields)

    return change


def _template(name: str, languages: tuple[str, ...], **fields: Any) -> Callable[[dict[str, Any]], None]:
    def change(info: dict[str, Any]) -> None:
        for t in info["templates"]:
            if t["name"] == name and t["language"] in languages:
                t.update(fields)

    return change


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(info: dict[str, Any]) -> None:
        info[key] = value

    return change


def _waba_blocked(info: dict[str, Any]) -> None:
    info["waba"]["can_send_message"] = "BLOCKED"
    info["waba"]["errors"] = [  # the spec's example of a WABA entity that cannot send (health_status)
        {
            "error_code": 141006,
            "error_description": "There is an error with the payment method. This will block business "
            "initiated conversations.",
            "possible_solution": "There was an error with your payment method. Please add a new payment "
            "method to the account.",
        }
    ]


def _approval_pending(tables: dict[str, list], rng: Any) -> dict[str, list]:
    rows = list(tables["approval_queue"])
    first = next(i for i, r in enumerate(rows) if r.content_id.endswith("-s1-quote"))
    rows[first] = rows[first]._replace(state="pending", decided_at=None)
    return {**tables, "approval_queue": rows}


def _content_not_rendered(tables: dict[str, list], rng: Any) -> dict[str, list]:
    rows = [
        r._replace(rendered=False, asset_url=None, rendered_at=None)
        if r.content_id.endswith("-s4-chart")
        else r
        for r in tables["content_items"]
    ]
    return {**tables, "content_items": rows}


for _scenario in (
    Scenario(
        "template_paused",
        "daily_brief_seg2 (en, hi) is PAUSED (quality RED) at 05:30: fallback content for segment 2 before 06:00.",
        api=_api(
            _template("daily_brief_seg2", ("en", "hi"), status="PAUSED", quality_score={"score": "RED"})
        ),
    ),
    Scenario(
        "shard_red",
        f"Sender number {RED_NUMBER} has quality RED at 05:45: excluded, its advisors re-planned on the others.",
        api=_api(_number(RED_NUMBER, quality_rating="RED")),
    ),
    Scenario(
        "compliance_slow",
        f"The compliance engine answers in {COMPLIANCE_SLOW_SECONDS} s (p95 over 1.5 s): AI-service fallback.",
        api=_api(_set("faults", {"compliance": {"kind": "slow", "seconds": COMPLIANCE_SLOW_SECONDS}})),
    ),
    Scenario(
        "db_pool_exhausted",
        "The delivery service's database pool is exhausted at 05:30 (100/100, 37 waiting): database emergency.",
        api=_api(_set("db_pool", {"in_use": 100, "idle": 0, "waiting": 37})),
    ),
    Scenario(
        "number_flagged",
        f"Sender number {FLAGGED_NUMBER} is FLAGGED: excluded and re-planned.",
        api=_api(_number(FLAGGED_NUMBER, status="FLAGGED", quality_rating="YELLOW")),
    ),
    Scenario(
        "quality_yellow",
        f"Sender number {YELLOW_NUMBER} is YELLOW (medium quality): the quality check warns, the shard check "
        "fails (not GREEN), so the number is excluded.",
        api=_api(_number(YELLOW_NUMBER, quality_rating="YELLOW")),
    ),
    Scenario(
        "template_rejected",
        "daily_brief_seg3 (hi) is REJECTED: fallback content for segment 3.",
        api=_api(_template("daily_brief_seg3", ("hi",), status="REJECTED")),
    ),
    Scenario(
        "waba_blocked",
        "The WABA's health_status is BLOCKED (payment method): no number can send, nothing to re-plan onto.",
        api=_api(_waba_blocked),
    ),
    Scenario(
        "approval_pending",
        "One content item of segment 1 still waits for compliance approval at 05:30: fallback for segment 1.",
        rows=_approval_pending,
    ),
    Scenario(
        "content_not_rendered",
        "Segment 4's chart was not rendered and its asset is missing on Cloudinary: fallback for segment 4.",
        rows=_content_not_rendered,
        api=_api(_set("cloudinary", {"missing_assets": ["s4-chart"]})),
    ),
    Scenario(
        "oncall_gap",
        "Nobody is on call at escalation level 1 in PagerDuty: alerted, the day proceeds.",
        api=_api(_set("pagerduty", {"missing_levels": [1]})),
    ),
    Scenario(
        "monitors_muted",
        "Datadog monitor success_rate_below_98 is muted: alerted, the day proceeds.",
        api=_api(_set("datadog", {"muted": ["success_rate_below_98"]})),
    ),
):
    register(_scenario)
