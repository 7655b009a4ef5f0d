"""Issue 14: WhatsApp account restrictions judged from the Cloud API's fields (pure), and the day-one baseline."""

from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from attempts_factory import DAY, at, attempts

from delivery_window.checks.account import MEDIUM, NONE, SUSPENDED, judge, normalize
from delivery_window.monitor import rules
from delivery_window.protocol import DEFAULT_PROTOCOL_PATH, ProtocolError, get_protocol, load_protocol
from delivery_window.reports.account import account_lines, baseline_line

pytestmark = pytest.mark.unit
P = get_protocol()
IST = ZoneInfo("Asia/Kolkata")
WABA_ID = "2030405060708090"


def number(i: int, quality="GREEN", status="CONNECTED", can_send="AVAILABLE", waba="AVAILABLE", errors=()):
    """A phone-number node as GET /{waba-id}/phone_numbers?fields=...,health_status returns it."""
    waba_entity = {"entity_type": "WABA", "id": WABA_ID, "can_send_message": waba}
    if errors:
        waba_entity["errors"] = list(errors)
    worst = max([can_send, waba], key=("AVAILABLE", "LIMITED", "BLOCKED").index)
    return {
        "id": f"10655501{i:02d}",
        "quality_rating": quality,
        "status": status,
        "messaging_limit_tier": "TIER_10K",
        "throughput": {"level": "STANDARD"},
        "health_status": {
            "can_send_message": worst,
            "entities": [
                {"entity_type": "PHONE_NUMBER", "id": f"10655501{i:02d}", "can_send_message": can_send},
                waba_entity,
                {"entity_type": "BUSINESS", "id": "1", "can_send_message": "AVAILABLE"},
            ],
        },
    }


def waba(review="APPROVED", can_send="AVAILABLE"):
    return {
        "id": WABA_ID,
        "account_review_status": review,
        "health_status": {
            "can_send_message": can_send,
            "entities": [{"entity_type": "WABA", "id": WABA_ID, "can_send_message": can_send}],
        },
    }


def verdict(raw):
    return judge(normalize(raw), P)


PAYMENT = {"error_code": 141006, "error_description": "There is an error with the payment method."}


def test_a_healthy_account_is_none():
    v = verdict({"numbers": [number(i) for i in range(5)], "waba": waba()})
    assert (v.verdict, v.reasons) == (NONE, ())


def test_a_medium_quality_number_is_the_quality_row():
    v = verdict({"numbers": [number(0), number(1, quality="YELLOW")], "waba": waba()})
    assert v.verdict == MEDIUM and v.reasons == ("1065550101 quality_rating YELLOW",)
    assert verdict([number(0, quality="RED")]).verdict == MEDIUM  # the 05:45 probe's plain list of numbers


def test_a_blocked_waba_is_account_suspended_with_its_error_code():
    numbers = [number(i, waba="BLOCKED", errors=[PAYMENT]) for i in range(5)]
    v = verdict(
        {"numbers": numbers, "waba": None}
    )  # the WABA node not read: its entity in the numbers says it
    assert v.verdict == SUSPENDED
    assert "WABA health_status BLOCKED (141006 There is an error with the payment method.)" in v.reasons
    assert any(r.startswith("no sender number can send: 1065550100=BLOCKED") for r in v.reasons)
    assert verdict({"numbers": [number(0)], "waba": waba(can_send="BLOCKED")}).verdict == SUSPENDED


def test_a_restricted_review_or_every_number_banned_is_account_suspended():
    assert verdict({"numbers": [number(0)], "waba": waba(review="RESTRICTED")}).reasons == (
        "WABA account_review_status RESTRICTED",
    )
    banned = verdict(
        {"numbers": [number(0, status="BANNED"), number(1, status="RESTRICTED")], "waba": waba()}
    )
    assert banned.verdict == SUSPENDED
    # one number banned is a shard problem (check_number_shards excludes it), not the account
    assert verdict({"numbers": [number(0, status="BANNED"), number(1)], "waba": waba()}).verdict == NONE
    assert verdict({"numbers": [], "waba": None}).verdict == NONE  # nothing seen: nothing to say
    # LIMITED is not BLOCKED (e.g. business verification pending): the account still sends
    assert (
        verdict({"numbers": [number(0, can_send="LIMITED")], "waba": waba(can_send="LIMITED")}).verdict
        == NONE
    )


def test_suspension_outranks_quality_and_the_normalised_record_judges_the_same():
    raw = {"numbers": [number(0, quality="YELLOW", waba="BLOCKED")], "waba": waba(can_send="BLOCKED")}
    first = verdict(raw)
    assert first.verdict == SUSPENDED
    again = judge(normalize(copy.deepcopy(dict(first.observed))), P)  # an evaluation re-judges the stored row
    assert (again.verdict, again.reasons) == (first.verdict, first.reasons)


def test_the_thresholds_are_the_protocols(tmp_path: Path):
    raw = yaml.safe_load(DEFAULT_PROTOCOL_PATH.read_text(encoding="utf-8"))
    raw["whatsapp_account_health"]["blocked_health"] = ["BLOCKED", "LIMITED"]
    file = tmp_path / "protocol.yaml"
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    strict = load_protocol(file)
    limited = {"numbers": [number(0, can_send="LIMITED")], "waba": waba(can_send="LIMITED")}
    assert judge(normalize(limited), strict).verdict == SUSPENDED
    raw["whatsapp_account_health"]["blocked_health"] = ["BLOKED"]
    file.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"whatsapp_account_health\.blocked_health"):
        load_protocol(file)


# --- requirement 5: the latency baseline on day one ---------------------------------------------------------
def test_too_few_earlier_days_use_the_protocol_default_and_say_so():
    assert rules.baseline_with_default([], P) == (1000.0, True)
    assert rules.baseline_with_default([700, 900], P) == (1000.0, True)
    assert rules.baseline_with_default([700, 900, 800], P) == (800.0, False)
    slow = attempts("06:00:00", 100, every_s=0.5, latency_ms=1600)
    from test_monitor_rules import snapshots

    snap, _, directory = snapshots(slow, at("06:01:30"))
    ctx = rules.RuleContext(
        DAY,
        len(slow),
        latency_baseline_ms=1000.0,
        baseline_days=(date(2026, 4, 30),),
        baseline_is_default=True,
    )
    firing = next(f for f in rules.evaluate(snap, ctx, P) if f.rule == "latency_vs_baseline")
    assert firing.summary.endswith(
        "over the baseline 1000 ms (protocol.yaml default baseline 1000 ms: 1 earlier day of the 3 needed)"
    )
    assert firing.details["baseline_source"] == "protocol_default"
    earlier = rules.RuleContext(DAY, len(slow), latency_baseline_ms=1000.0)
    firing = next(f for f in rules.evaluate(snap, earlier, P) if f.rule == "latency_vs_baseline")
    assert "default" not in firing.summary and firing.details["baseline_source"] == "earlier_days"
    assert baseline_line([700, 900], P) == (
        "latency_vs_baseline judged against the protocol.yaml default baseline 1000 ms: 2 earlier days of the 3 needed"
    )
    assert baseline_line([700, 900, 800], P) is None


def test_the_report_lists_the_restriction_its_incident_runbook_and_steps():
    t0 = datetime(2026, 5, 19, 5, 30, tzinfo=IST)
    looks = [
        {"source": "check_whatsapp_rate_limits", "observed_at": t0, "verdict": SUSPENDED,
         "reasons": ["WABA health_status BLOCKED"]},
        {"source": "check_number_shards", "observed_at": t0.replace(minute=45), "verdict": SUSPENDED,
         "reasons": ["x"]},
    ]  # fmt: skip
    incident = {
        "incident_id": "2026-05-19:whatsapp_account_suspended", "status": "open", "opened_at": t0,
        "timeline": [{"step": "runbook_doc", "doc": "include/runbooks/whatsapp_account_suspended.md"}],
    }  # fmt: skip
    steps = [
        {"incident_id": incident["incident_id"], "due_at": t0, "target": "cto", "action": None},
        {"incident_id": incident["incident_id"], "due_at": t0.replace(hour=6, minute=0), "target": "ceo",
         "action": "emergency_business_continuity_meeting"},
    ]  # fmt: skip
    lines = account_lines(looks, [incident], steps, P, IST)
    assert lines == [
        "account_suspended first seen at 05:30:00 IST by check_whatsapp_rate_limits: WABA health_status BLOCKED",
        "incident 2026-05-19:whatsapp_account_suspended open (opened 05:30:00 IST) · runbook "
        "include/runbooks/whatsapp_account_suspended.md · steps: cto notify 05:30:00 IST, "
        "ceo emergency_business_continuity_meeting 06:00:00 IST",
    ]
    assert account_lines([], [], [], P, IST) == ["not observed: no look at the WhatsApp account was recorded"]
