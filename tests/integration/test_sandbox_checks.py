"""Every pre-delivery probe against the sandbox: healthy passes, each fault kind and bad state gives a precise,
recorded message (never a bare stack trace), and the sandbox endpoints the checks and remediations use."""

from __future__ import annotations

import http.client
import json
from datetime import date

import psycopg
import pytest

from delivery_window.checks.probes import CHECKS, run_check
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol
from delivery_window.records import Status
from delivery_window.sandbox import Sandbox, generate_day, write_day
from delivery_window.sandbox.scenario_sets.pre_delivery import FLAGGED_NUMBER, RED_NUMBER, YELLOW_NUMBER

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 9)  # healthy data; the API-state scenarios read it too
ROWS_DAY = date(2026, 10, 8)  # rewritten by the scenarios that change platform rows
P = get_protocol()
FAST = P.model_copy(update={"checks": P.checks.model_copy(update={"http_timeout_seconds": 1})})


@pytest.fixture(scope="module")
def sb(wired_sandbox, db_url):
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)  # as migrate_report_schema before the checks: the monitoring probes read it
        write_day(conn, generate_day("healthy", DAY))
        conn.commit()
    with wired_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def fresh(sb):
    sb.set_scenario("healthy")
    sb.clear()
    yield


def test_healthy_day_every_check_passes_and_nothing_is_posted(sb):
    results = {name: run_check(name, DAY, P) for name in CHECKS}
    assert {n: (r.status, r.message) for n, r in results.items() if r.status is not Status.PASS} == {}
    assert all(r.latency_ms is not None for r in results.values())
    # reachability is checked without a post or a page: healthy days stay quiet
    assert sb.requests("slack") == [] and sb.requests("pagerduty") == []
    assert len(sb.requests("pagerduty_api")) >= 4


FAULTS = [
    ("whatsapp", "refuse", "check_sender_quality", ["whatsapp: connection failed (", "Error"]),
    (
        "whatsapp",
        "http_500",
        "check_templates_approved",
        ["whatsapp: HTTP 500, Graph error 2: (#2) Service temporarily unavailable"],
    ),
    (
        "whatsapp",
        {"kind": "http_429", "retry_after": 7},
        "check_number_shards",
        ["Graph error 130429", "(Retry-After: 7)"],
    ),
    (
        "whatsapp",
        "malformed",
        "check_whatsapp_rate_limits",
        ["whatsapp: HTTP 200 with a body that is not JSON"],
    ),
    (
        "whatsapp",
        "token_expired",
        "check_sender_quality",
        ["HTTP 401, Graph error 190: Error validating access token: Session has expired"],
    ),
    (
        "whatsapp",
        {"kind": "timeout", "seconds": 3},
        "check_fallback_content",
        ["whatsapp: no answer within 1 s"],
    ),
    (
        "openai",
        "token_expired",
        "check_openai_health",
        ["openai: HTTP 401, OpenAI invalid_api_key: Incorrect API key provided"],
    ),
    (
        "openai",
        {"kind": "http_429", "retry_after": 20},
        "check_openai_health",
        ["OpenAI rate_limit_exceeded", "(Retry-After: 20)"],
    ),
    (
        "openai",
        "http_503",
        "check_openai_health",
        ["HTTP 503, OpenAI server_error: The engine is currently overloaded"],
    ),
    (
        "compliance",
        "http_500",
        "check_compliance_engine",
        ["compliance: HTTP 500, internal_server_error: sandbox fault"],
    ),
    (
        "compliance",
        {"kind": "timeout", "seconds": 3},
        "check_compliance_engine",
        ["compliance: no answer within 1 s"],
    ),
    ("cloudinary", "refuse", "check_cloudinary", ["cloudinary: connection failed ("]),
    (
        "cloudinary",
        "token_expired",
        "check_content_rendered",
        ["cloudinary: HTTP 401: Invalid api_key sandbox"],
    ),
    ("datadog", "token_expired", "check_datadog_monitors", ["datadog: HTTP 403: Forbidden"]),
    ("grafana", "malformed", "check_grafana_dashboard", ["grafana: HTTP 200 with a body that is not JSON"]),
    ("grafana", "http_503", "check_grafana_dashboard", ["grafana: HTTP 503: Service Unavailable"]),
    (
        "pagerduty_api",
        "http_500",
        "check_pagerduty_escalation",
        ["pagerduty_api: HTTP 500, PagerDuty error 2000: Internal Server Error"],
    ),
    (
        "pagerduty_api",
        "token_expired",
        "check_oncall_primary",
        ["pagerduty_api: HTTP 401, PagerDuty error 2006: Unauthorized"],
    ),
    (
        "delivery",
        "http_503",
        "check_delivery_queue",
        ["delivery_service: HTTP 503, service_unavailable: sandbox fault: Service Unavailable"],
    ),
    (
        "delivery",
        "malformed",
        "check_retry_logic",
        ["delivery_service: HTTP 200 with a body that is not JSON"],
    ),
]


@pytest.mark.parametrize(
    ("service", "fault", "check", "expected"),
    FAULTS,
    ids=[f"{f[0]}-{f[1] if isinstance(f[1], str) else f[1]['kind']}-{f[2]}" for f in FAULTS],
)
def test_each_fault_is_a_precise_recorded_error(sb, service, fault, check, expected):
    sb.set_faults({service: fault})
    r = run_check(check, DAY, FAST)
    assert r.status is Status.ERROR, r
    for text in expected:
        assert text in r.message, r.message
    assert "Traceback" not in r.message
    assert r.observed["service"] in (service, "delivery_service") and r.observed["error_kind"] in (
        "refused",
        "http_status",
        "timeout",
        "malformed",
    )


def test_unobserved_service_pool_is_a_warning(sb):
    sb.set_faults({"delivery": "refuse"})
    r = run_check("check_database_pool", DAY, FAST)
    assert (
        r.status is Status.WARN
        and "delivery-service pool not observed: delivery_service: connection failed" in r.message
    )


def test_rate_limits_fall_back_to_an_even_split_without_the_plan(sb):
    sb.set_faults({"delivery": "http_503"})
    r = run_check("check_whatsapp_rate_limits", DAY, FAST)
    assert r.status is Status.PASS and "HTTP 503" in r.observed["plan_error"]
    assert {n["planned"] for n in r.observed["numbers"]} == {400}


BAD_STATES = [
    (
        "template_paused",
        "check_templates_approved",
        Status.FAIL,
        "daily_brief_seg2 (en): PAUSED; daily_brief_seg2 (hi): PAUSED",
    ),
    ("template_rejected", "check_templates_approved", Status.FAIL, "daily_brief_seg3 (hi): REJECTED"),
    ("shard_red", "check_sender_quality", Status.FAIL, f"unhealthy numbers: {RED_NUMBER}=RED/CONNECTED"),
    ("shard_red", "check_number_shards", Status.FAIL, f"{RED_NUMBER}: quality RED"),
    ("number_flagged", "check_number_shards", Status.FAIL, f"{FLAGGED_NUMBER}: FLAGGED, quality YELLOW"),
    (
        "quality_yellow",
        "check_sender_quality",
        Status.WARN,
        f"degraded numbers: {YELLOW_NUMBER}=YELLOW/CONNECTED",
    ),
    ("waba_blocked", "check_number_shards", Status.FAIL, "1065550100: can_send_message BLOCKED"),
    ("compliance_slow", "check_compliance_engine", Status.FAIL, "over 5 probes is not < 1500 ms"),
    (
        "db_pool_exhausted",
        "check_database_pool",
        Status.FAIL,
        "100/100 connections in use (100.0%, limit 80.0%), 37 requests waiting",
    ),
    ("oncall_gap", "check_oncall_primary", Status.FAIL, "nobody on call at level 1 for the whole window"),
    ("monitors_muted", "check_datadog_monitors", Status.FAIL, "monitors muted: success_rate_below_98"),
]


@pytest.mark.parametrize(
    ("scenario", "check", "status", "message"), BAD_STATES, ids=[f"{s[0]}-{s[1]}" for s in BAD_STATES]
)
def test_bad_states_are_judged(sb, scenario, check, status, message):
    sb.set_scenario(scenario)
    r = run_check(check, DAY, P)
    assert r.status is status and message in r.message, r


@pytest.mark.parametrize(
    ("scenario", "check", "message", "segments"),
    [
        (
            "approval_pending",
            "check_approval_queue",
            "1 items pending approval (should be 0): 20261008-s1-quote",
            [1],
        ),
        ("content_not_rendered", "check_content_rendered", "20261008-s4-chart: not rendered", [4]),
    ],
)
def test_bad_platform_rows_are_judged(sb, db_url, scenario, check, message, segments):
    with psycopg.connect(db_url) as conn:
        write_day(conn, generate_day(scenario, ROWS_DAY))
        conn.commit()
    sb.set_scenario(scenario)
    r = run_check(check, ROWS_DAY, P)
    assert r.status is Status.FAIL and r.message == message and r.observed["segments_affected"] == segments


def test_pagerduty_rest_needs_its_own_connection_outside_a_local_stand_in(sb, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_PAGERDUTY_API", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_PAGERDUTY_EVENTS", json.dumps({"conn_type": "pagerduty_events", "password": "R0KEY"})
    )
    r = run_check("check_pagerduty_escalation", DAY, FAST)
    assert r.status is Status.ERROR
    assert r.message.startswith("pagerduty_api: connection 'pagerduty_api' is not defined")
    assert sb.requests("pagerduty_api") == []


# --- the sandbox endpoints behind the checks and the remediations ---------------------------------------------
def call(sb: Sandbox, method: str, path: str, body=None, headers=None):
    host, port = sb.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        text = resp.read().decode()
        try:
            return resp.status, json.loads(text)
        except ValueError:
            return resp.status, text
    finally:
        conn.close()


def test_replan_excludes_numbers_and_keeps_every_advisor(sb):
    day = DAY.isoformat()
    status, plan = call(sb, "GET", f"/delivery/v1/plan?delivery_date={day}")
    assert status == 200 and plan["advisors_planned"] == 2000 and len(plan["segments"]) == 4
    status, new = call(
        sb,
        "POST",
        "/delivery/v1/plan/replan",
        {"delivery_date": day, "exclude_phone_number_ids": [RED_NUMBER]},
    )
    by_number = {n["phone_number_id"]: n for n in new["numbers"]}
    assert status == 200 and by_number[RED_NUMBER] == {
        "phone_number_id": RED_NUMBER,
        "advisors": 0,
        "excluded": True,
    }
    assert new["advisors_planned"] == 2000 and {
        n["advisors"] for n in new["numbers"] if not n["excluded"]
    } == {500}
    everyone = [n["phone_number_id"] for n in plan["numbers"]]
    assert (
        call(
            sb,
            "POST",
            "/delivery/v1/plan/replan",
            {"delivery_date": day, "exclude_phone_number_ids": everyone},
        )[0]
        == 409
    )
    assert (
        call(
            sb,
            "POST",
            "/delivery/v1/plan/replan",
            {"delivery_date": day, "exclude_phone_number_ids": ["999"]},
        )[0]
        == 404
    )
    assert sb.state()["replans"] == [{"delivery_date": day, "exclude_phone_number_ids": [RED_NUMBER]}]


def test_fallback_status_follows_activations_and_pool_recovers_after_failover(sb):
    sb.set_scenario("db_pool_exhausted")
    day = DAY.isoformat()
    assert call(sb, "GET", f"/delivery/v1/fallback?delivery_date={day}")[1]["active_segments"] == []
    call(sb, "POST", "/delivery/v1/fallback/activate", {"delivery_date": day, "segments": [2]})
    assert call(sb, "GET", f"/delivery/v1/fallback?delivery_date={day}")[1]["active_segments"] == [2]
    assert call(sb, "GET", "/delivery/v1/database/pool")[1]["waiting"] == 37
    call(sb, "POST", "/delivery/v1/database/failover")
    pool = call(sb, "GET", "/delivery/v1/database/pool")[1]
    assert pool["waiting"] == 0 and pool["pool"] == "delivery-db-replica-1"


def test_pagerduty_rest_is_recorded_apart_from_events(sb):
    assert call(sb, "GET", "/pagerduty/oncalls?since=x&until=y")[0] == 401  # REST needs "Token token="
    token = {"Authorization": "Token token=abc"}
    status, body = call(sb, "GET", "/pagerduty/escalation_policies?query=delivery_window", headers=token)
    assert status == 200 and body["escalation_policies"][0]["name"] == "delivery_window_escalation"
    assert (
        call(sb, "GET", "/pagerduty_api/users/PU4CTO0/contact_methods", headers=token)[1]["contact_methods"][
            1
        ]["address"]
        == "9876543210"
    )
    assert [r["service"] for r in sb.requests()] == ["pagerduty_api"] * 3
    assert sb.requests("pagerduty") == []


@pytest.mark.parametrize(
    ("service", "path", "status", "needle"),
    [
        ("whatsapp", "/whatsapp/v23.0/1065550100", 401, '"code": 190'),
        ("openai", "/openai/v1/models", 401, "invalid_api_key"),
        ("slack", "/slack/services/T0SANDBOX/B0WARROOM/delivery-war-room", 403, "invalid_token"),
        ("datadog", "/datadog/api/v1/validate", 403, "Forbidden"),
        ("pagerduty_api", "/pagerduty_api/services", 401, "2006"),
    ],
)
def test_token_expired_fault_in_each_services_shape(sb, service, path, status, needle):
    sb.set_faults({service: "token_expired"})
    got, body = call(
        sb, "POST" if service == "slack" else "GET", path, {"text": "x"} if service == "slack" else None
    )
    assert got == status and needle in (body if isinstance(body, str) else json.dumps(body))
