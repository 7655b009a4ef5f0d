"""Grouping, inhibition and silences (escalation/routing.py and the plan's alert rows): pure, no I/O."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery_window.escalation import keys, routing
from delivery_window.escalation.alert_rows import incident_alert_rows
from delivery_window.escalation.model import AlertRef, IncidentFacts
from delivery_window.escalation.plan import plan_incident
from delivery_window.protocol import get_protocol

pytestmark = pytest.mark.unit
P = get_protocol()
DAY = date(2026, 9, 2)
IST = ZoneInfo("Asia/Kolkata")
T0 = datetime(2026, 9, 2, 6, 2, 10, tzinfo=IST)
S = timedelta(seconds=1)
INCIDENT = keys.incident_id(DAY, "delivery_failure")


def alert(rule: str, at: datetime = T0, scope: str = "overall") -> AlertRef:
    return AlertRef(rule, scope, P.alert_rules[rule].level, at, f"{rule} fired")


def facts(*alerts: AlertRef) -> IncidentFacts:
    return IncidentFacts(INCIDENT, DAY, "technical", "critical", min(a.first_fired_at for a in alerts),
                         runbook="delivery_failure", alerts=alerts)  # fmt: skip


# The whatsapp_outage day, as the monitor records it: three Sev1/immediate alerts in one tick, more later.
OUTAGE = (
    alert("failure_rate_2m"),
    alert("whatsapp_api_unavailable"),
    alert("success_below_95_2m"),
    alert("error_rate_above_2pct"),
    alert("success_rate_below_98", T0 + 10 * S),
    alert("advisor_failures_1m", T0 + 30 * S, "advisor:a-1"),
)


def test_one_outage_is_one_pagerduty_incident_its_later_alerts_in_the_same_key():
    rows = incident_alert_rows(facts(*routing.suppress(OUTAGE, [], P)), P)
    pages = [r for r in rows if r.kind == "pagerduty_event"]
    assert {r.payload["dedup_key"] for r in pages} == {keys.page_key(INCIDENT)}
    assert len({r.dedup_key for r in rows}) == len(rows)
    first = pages[0].payload["custom_details"]
    assert sorted(first["new"]) == sorted(f"{a.rule}:overall" for a in OUTAGE[:3])
    # the later batch (advisor_failures_1m at +30 s) is appended to the same PagerDuty incident, listing all
    last = pages[-1].payload["custom_details"]
    assert last["new"] == ["advisor_failures_1m:advisor:a-1"]
    assert {f["rule"] for f in last["firing"]} == {a.rule for a in OUTAGE}


def test_war_room_posts_are_one_per_incident_and_batch_listing_what_newly_fired():
    rows = incident_alert_rows(facts(*routing.suppress(OUTAGE, [], P)), P)
    war_room = [r for r in rows if r.conn_id == "slack_war_room"]
    assert [r.due_at for r in war_room] == [T0, T0 + 30 * S]  # 4 overall alerts inhibited/grouped: 2 posts
    text = war_room[0].payload["text"]
    assert all(
        rule in text for rule in ("failure_rate_2m", "whatsapp_api_unavailable", "success_below_95_2m")
    )


def test_a_severity_1_alert_inhibits_lower_levels_of_the_same_scope_only():
    muted = {(a.rule, a.scope): a for a in routing.suppress(OUTAGE, [], P)}
    assert muted[("error_rate_above_2pct", "overall")].suppressed == "inhibited"
    assert muted[("success_rate_below_98", "overall")].suppressed_by == "failure_rate_2m:overall"
    assert muted[("advisor_failures_1m", "advisor:a-1")].suppressed is None  # another scope
    assert muted[("failure_rate_2m", "overall")].suppressed is None  # a source is never its own target
    routes = routing.routing_of(list(muted.values()), P)
    assert routes[("failure_rate_2m", "overall")] == ("paged", None)
    assert routes[("whatsapp_api_unavailable", "overall")] == ("paged", None)
    assert routes[("advisor_failures_1m", "advisor:a-1")] == ("grouped", None)
    assert routes[("error_rate_above_2pct", "overall")] == ("inhibited", "failure_rate_2m:overall")


def test_inhibition_needs_the_source_first_and_its_incident_unresolved():
    early = alert("error_rate_above_2pct", T0 - 20 * S)
    (got, _) = routing.suppress([early, alert("failure_rate_2m")], [], P)
    assert got.suppressed is None  # it fired before the Sev1: already sent
    later = alert("error_rate_above_2pct", T0 + 60 * S)
    resolved = {"delivery_failure": T0 + 30 * S}
    (got, _) = routing.suppress([later, alert("failure_rate_2m")], [], P, resolved)
    assert got.suppressed is None  # the Sev1's incident resolved first


def silence(**matchers) -> routing.Silence:
    return routing.Silence("7", T0 - 60 * S, T0 + 3600 * S, matchers, "planned maintenance", "asha")


def test_a_silence_mutes_what_it_matches_while_active():
    shard = alert("shard_failing", T0, "number:n-1")
    assert routing.silenced_by(shard, [silence(rule="shard_failing")], P) == "7"
    assert routing.silenced_by(shard, [silence(rule="shard_failing", scope="number:n-2")], P) is None
    assert routing.silenced_by(shard, [silence(runbook="whatsapp_quality_recovery")], P) == "7"
    before = alert("shard_failing", T0 - 120 * S, "number:n-1")
    assert routing.silenced_by(before, [silence(rule="shard_failing")], P) is None
    expired = routing.Silence("8", T0 - 60 * S, T0 + 3600 * S, {"rule": "shard_failing"}, "r", "a", T0 - S)
    assert routing.silenced_by(shard, [expired], P) is None
    (muted,) = routing.suppress([shard], [silence(rule="shard_failing")], P)
    f = IncidentFacts(keys.incident_id(DAY, "whatsapp_quality_recovery"), DAY, "technical", "major", T0,
                      runbook="whatsapp_quality_recovery", alerts=(muted,))  # fmt: skip
    assert plan_incident(f, P, T0 + 3600 * S) == []  # nothing of a silenced incident goes out
    assert routing.routing_of([muted], P) == {("shard_failing", "number:n-1"): ("silenced", "7")}


def test_a_silence_never_mutes_a_severity_1_page_unless_the_protocol_allows_it():
    page = alert("whatsapp_api_unavailable")
    assert routing.silenced_by(page, [silence(rule="whatsapp_api_unavailable")], P) is None
    lenient = P.model_copy(update={"silences": P.silences.model_copy(update={"may_mute_severity_1": True})})
    assert routing.silenced_by(page, [silence(rule="whatsapp_api_unavailable")], lenient) == "7"


def test_grouping_waits_and_intervals_follow_alertmanager():
    wait = P.model_copy(update={"grouping": P.grouping.model_copy(update={"group_wait_seconds": 30,
                                                                           "group_interval_seconds": 60})})  # fmt: skip
    a, b, c = (
        alert("failure_rate_2m"),
        alert("shard_failing", T0 + 20 * S, "number:n"),
        alert("tier_delivery_issue", T0 + 50 * S, "segment:2"),
    )
    got = routing.batches([a, b, c], wait)
    assert [(due - T0, [x.rule for x in group]) for due, group in got] == [
        (30 * S, ["failure_rate_2m", "shard_failing"]),  # group_wait collects the first 30 s
        (90 * S, ["tier_delivery_issue"]),  # then at most every group_interval
    ]


@pytest.mark.parametrize(
    ("matchers", "error"),
    [
        ({}, "at least one --match"),
        ({"severity": "x"}, "unknown match field 'severity'"),
        ({"rule": "no_such_rule"}, "unknown rule 'no_such_rule'"),
        ({"runbook": "nope"}, "unknown runbook 'nope'"),
        ({"scope": ""}, "match scope= needs a value"),
    ],
)
def test_bad_silence_matchers_get_a_one_line_error(matchers, error):
    with pytest.raises(routing.SilenceError, match=error):
        routing.check_matchers(matchers, P)


def test_a_silence_span_must_be_aware_forward_and_bounded():
    with pytest.raises(routing.SilenceError, match="is not after"):
        routing.check_span(T0, T0, P)
    with pytest.raises(routing.SilenceError, match="time zone"):
        routing.check_span(T0.replace(tzinfo=None), T0.replace(tzinfo=None) + S, P)
    with pytest.raises(routing.SilenceError, match="at most 24 h"):
        routing.check_span(T0, T0 + timedelta(hours=25), P)
    routing.check_span(T0, T0 + timedelta(hours=2), P)


def test_a_silence_added_later_moves_no_batch_and_no_key():
    """Keys are anchored on the incident's first alert, muted or not: silencing it afterwards resends nothing."""
    wait = P.model_copy(update={"grouping": P.grouping.model_copy(update={"group_interval_seconds": 60})})
    first, later = (
        alert("tier_delivery_issue", T0, "segment:1"),
        alert("tier_delivery_issue", T0 + 20 * S, "segment:2"),
    )
    before = routing.batches([first, later], wait)
    (muted,) = routing.suppress([first], [silence(scope="segment:1")], wait)
    after = routing.batches([muted, later], wait)
    assert before[-1][0] == after[-1][0] == T0 + 60 * S  # the second batch keeps its instant, hence its keys
    assert [a.scope for _, group in after for a in group] == ["segment:2"]


def test_a_batch_is_planned_once_due_so_alerts_that_join_before_then_are_in_it():
    wait = P.model_copy(update={"grouping": P.grouping.model_copy(update={"group_wait_seconds": 30})})
    a, b = alert("failure_rate_2m"), alert("whatsapp_api_unavailable", T0 + 20 * S)
    assert incident_alert_rows(facts(a), wait, as_of=T0 + 10 * S) == []  # still waiting: nothing written yet
    rows = incident_alert_rows(facts(a, b), wait, as_of=T0 + 30 * S)
    (page,) = [r for r in rows if r.kind == "pagerduty_event"]
    assert sorted(page.payload["custom_details"]["new"]) == [
        "failure_rate_2m:overall",
        "whatsapp_api_unavailable:overall",
    ]


def test_silence_ids_order_numerically():
    s9 = routing.Silence("9", T0 - 60 * S, T0 + 60 * S, {"rule": "shard_failing"})
    s10 = routing.Silence("10", T0 - 60 * S, T0 + 60 * S, {"rule": "shard_failing"})
    assert routing.silenced_by(alert("shard_failing", T0, "number:n"), [s10, s9], P) == "9"
