"""The sandbox HTTP server: every service's status codes and shapes, spec conformance, recording, faults."""

from __future__ import annotations

import copy
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from delivery_window.connections import SANDBOX_WABA_ID, SLACK_SANDBOX_PATH
from delivery_window.sandbox import SENDER_NUMBERS, Sandbox, SandboxClient
from delivery_window.sandbox.services.pagerduty_events import PAGERDUTY_EVENT_SCHEMA

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "sandbox-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NUMBER = SENDER_NUMBERS[0].phone_number_id
WA = "/whatsapp/v23.0"
WAR_ROOM = SLACK_SANDBOX_PATH["slack_war_room"]
ROUTING_KEY = "R0SANDBOXROUTINGKEY0000000000000"
# The vendors' OpenAPI documents: a vendored copy in the repo wins over the shared reference folder.
SPEC_DIRS = [
    ROOT / "tests" / "fixtures" / "specs",
    ROOT / "include" / "specs",
    Path("/work/shared/reference/specs"),
]


@pytest.fixture(scope="module")
def sb():
    with Sandbox("healthy") as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def fresh(sb):
    sb.set_scenario("healthy")
    sb.clear()
    yield


def call(
    sb: Sandbox, method: str, path: str, body: Any = None, headers: dict | None = None, timeout: float = 3.0
):
    """(status, lower-cased headers, text, parsed JSON or None) of one request."""
    host, port = sb.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        h = ({"Content-Type": "application/json"} if data is not None else {}) | (headers or {})
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        text = resp.read().decode()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text, parsed
    finally:
        conn.close()


# --- specs ----------------------------------------------------------------------------------------------
def _spec_path(name: str) -> Path:
    for d in SPEC_DIRS:
        if (d / name).exists():
            return d / name
    pytest.fail(f"{name} not found in {', '.join(map(str, SPEC_DIRS))}")


@cache
def _whatsapp_spec() -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(_spec_path("whatsapp-business-messaging-v23.openapi.yaml").read_text(), Loader=loader)


@cache
def _pagerduty_spec() -> dict:
    return json.loads(_spec_path("pagerduty-events-v2.openapi.json").read_text())


def _validate(spec: dict, schema: dict, instance: Any, patch: dict | None = None) -> None:
    """Validate against a schema of an OpenAPI document, resolving its #/components refs."""
    from openapi_schema_validator import OAS30Validator, OAS31Validator

    components = spec.get("components", {})
    if patch:
        components = dict(components, schemas=dict(components["schemas"], **patch))
    validator = OAS31Validator if spec["openapi"].startswith("3.1") else OAS30Validator
    validator({**schema, "components": components}).validate(instance)


def _wa_schema(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _wa_response_schema(path: str, method: str, status: str = "200") -> dict:
    return _whatsapp_spec()["paths"][path][method]["responses"][status]["content"]["application/json"][
        "schema"
    ]


# --- WhatsApp Cloud API -----------------------------------------------------------------------------------
def test_phone_number_returns_only_requested_fields_and_matches_spec(sb):
    fields = "quality_rating,status,messaging_limit_tier,whatsapp_business_manager_messaging_limit,throughput,health_status"
    status, headers, _, body = call(sb, "GET", f"{WA}/{NUMBER}?fields={fields}", headers=AUTH)
    assert status == 200
    assert set(body) == set(fields.split(",")) | {"id"}
    assert body["quality_rating"] == "GREEN" and body["status"] == "CONNECTED"
    assert body["whatsapp_business_manager_messaging_limit"] == "TIER_100K"
    assert body["health_status"]["can_send_message"] == "AVAILABLE"
    assert {e["entity_type"] for e in body["health_status"]["entities"]} == {
        "PHONE_NUMBER",
        "WABA",
        "BUSINESS",
        "APP",
    }
    assert SANDBOX_WABA_ID in headers["x-business-use-case-usage"]
    _validate(_whatsapp_spec(), _wa_schema("PhoneNumberInfo"), body)
    status, _, _, body = call(sb, "GET", f"{WA}/{NUMBER}", headers=AUTH)
    assert set(body) == {"id", "display_phone_number", "verified_name", "quality_rating"}
    _validate(_whatsapp_spec(), _wa_schema("PhoneNumberInfo"), body)


def test_phone_numbers_list_pages_and_matches_spec(sb):
    status, _, _, body = call(sb, "GET", f"{WA}/{SANDBOX_WABA_ID}/phone_numbers", headers=AUTH)
    assert status == 200
    assert [n["id"] for n in body["data"]] == [n.phone_number_id for n in SENDER_NUMBERS]
    assert set(body["paging"]["cursors"]) == {"before", "after"}
    # The generated spec's list-item status enum (PENDING, LINKED, ...) contradicts its own
    # WhatsAppBusinessAccountToNumberStatus and Meta's docs (CONNECTED); validate with the latter.
    spec = _whatsapp_spec()
    fix = {
        "WhatsAppPhoneNumberStatus": spec["components"]["schemas"]["WhatsAppBusinessAccountToNumberStatus"]
    }
    _validate(spec, _wa_schema("WhatsAppBusinessAccountPhoneNumbersConnection"), body, fix)
    _, _, _, page = call(sb, "GET", f"{WA}/{SANDBOX_WABA_ID}/phone_numbers?limit=2", headers=AUTH)
    assert len(page["data"]) == 2 and "next" in page["paging"]
    after = page["paging"]["cursors"]["after"]
    _, _, _, page2 = call(
        sb, "GET", f"{WA}/{SANDBOX_WABA_ID}/phone_numbers?limit=2&after={after}", headers=AUTH
    )
    assert [n["id"] for n in page2["data"]] == [n.phone_number_id for n in SENDER_NUMBERS[2:4]]


def test_message_templates_all_approved_and_match_spec(sb):
    q = "fields=name,status,category,language,quality_score&limit=100"
    status, _, _, body = call(sb, "GET", f"{WA}/{SANDBOX_WABA_ID}/message_templates?{q}", headers=AUTH)
    assert status == 200 and len(body["data"]) == 16
    assert {t["status"] for t in body["data"]} == {"APPROVED"}
    assert {t["quality_score"]["score"] for t in body["data"]} == {"GREEN"}
    assert {"daily_brief_seg1", "daily_brief_fallback_seg4"} <= {t["name"] for t in body["data"]}
    _validate(_whatsapp_spec(), _wa_response_schema("/{Version}/{WABA-ID}/message_templates", "get"), body)
    _, _, _, one = call(
        sb, "GET", f"{WA}/{SANDBOX_WABA_ID}/message_templates?name=daily_brief_seg2", headers=AUTH
    )
    assert {t["name"] for t in one["data"]} == {"daily_brief_seg2"} and "components" in one["data"][0]


def test_health_status_on_waba_and_template_nodes(sb):
    _, _, _, waba = call(sb, "GET", f"{WA}/{SANDBOX_WABA_ID}?fields=health_status", headers=AUTH)
    assert waba["id"] == SANDBOX_WABA_ID and waba["health_status"]["can_send_message"] == "AVAILABLE"
    _, _, _, templates = call(sb, "GET", f"{WA}/{SANDBOX_WABA_ID}/message_templates", headers=AUTH)
    tid = templates["data"][0]["id"]
    status, _, _, node = call(sb, "GET", f"{WA}/{tid}?fields=health_status,status", headers=AUTH)
    assert status == 200 and node["status"] == "APPROVED"
    assert node["health_status"]["entities"][0] == {
        "entity_type": "TEMPLATE",
        "id": tid,
        "can_send_message": "AVAILABLE",
    }


SEND = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "919812345678",
    "type": "template",
    # policy is required by the generated spec; Meta's own examples (external-apis.md §1.4) omit it.
    "template": {
        "name": "daily_brief_seg1",
        "language": {"policy": "deterministic", "code": "en"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ravi"}]}],
    },
}


def test_send_message_matches_spec_and_wamid_is_deterministic(sb):
    spec = _whatsapp_spec()
    _validate(spec, _wa_schema("TemplateMessage"), SEND)  # our example request is a valid template message
    status, _, _, body = call(sb, "POST", f"{WA}/{NUMBER}/messages", SEND, AUTH)
    assert status == 200
    assert body["contacts"] == [{"input": "919812345678", "wa_id": "919812345678"}]
    assert body["messages"][0]["id"].startswith("wamid.")
    _validate(spec, _wa_response_schema("/{Version}/{Phone-Number-ID}/messages", "post"), body)
    _validate(spec, _wa_schema("MessageResponsePayload"), body)
    second = call(sb, "POST", f"{WA}/{NUMBER}/messages", SEND, AUTH)[3]["messages"][0]["id"]
    assert second != body["messages"][0]["id"]  # a new message, a new id ...
    with Sandbox() as other:  # ... but the same sequence of calls gives the same ids on any sandbox
        again = [
            call(other, "POST", f"{WA}/{NUMBER}/messages", SEND, AUTH)[3]["messages"][0]["id"]
            for _ in range(2)
        ]
    assert again == [body["messages"][0]["id"], second]


def test_send_unapproved_template_or_bad_body_is_a_graph_error(sb):
    bad = copy.deepcopy(SEND)
    bad["template"]["name"] = "no_such_template"
    status, _, _, body = call(sb, "POST", f"{WA}/{NUMBER}/messages", bad, AUTH)
    assert status == 404 and body["error"]["code"] == 132001
    status, _, _, body = call(sb, "POST", f"{WA}/{NUMBER}/messages", {"to": "91"}, AUTH)
    assert status == 400 and body["error"]["code"] == 100
    _validate(_whatsapp_spec(), _wa_schema("GraphAPIError"), body)


def test_outage_scenario_fails_every_send_with_131000(sb):
    sb.set_scenario("whatsapp_outage")
    status, _, _, body = call(sb, "POST", f"{WA}/{NUMBER}/messages", SEND, AUTH)
    assert status == 500 and body["error"]["code"] == 131000 and body["error"]["type"] == "OAuthException"
    _validate(_whatsapp_spec(), _wa_schema("GraphAPIError"), body)
    # Before the window everything still looks healthy.
    assert (
        call(sb, "GET", f"{WA}/{NUMBER}?fields=quality_rating", headers=AUTH)[3]["quality_rating"] == "GREEN"
    )


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer expired-token"}])
def test_missing_or_invalid_token_is_code_190(sb, headers):
    status, _, _, body = call(sb, "GET", f"{WA}/{NUMBER}", headers=headers)
    assert status == 401 and body["error"]["code"] == 190 and body["error"]["type"] == "OAuthException"
    _validate(_whatsapp_spec(), _wa_schema("GraphAPIError"), body)


def test_unknown_node_and_unknown_field_are_code_100(sb):
    status, _, _, body = call(sb, "GET", f"{WA}/123456", headers=AUTH)
    assert status == 400 and body["error"]["code"] == 100 and body["error"]["error_subcode"] == 33
    status, _, _, body = call(sb, "GET", f"{WA}/{NUMBER}?fields=quality_rating,bogus", headers=AUTH)
    assert status == 400 and body["error"]["code"] == 100 and "bogus" in body["error"]["message"]


# --- Cloudinary, OpenAI, compliance ---------------------------------------------------------------------
def test_cloudinary_ping_and_rate_limit_headers(sb):
    status, headers, _, body = call(sb, "GET", "/cloudinary/v1_1/projectone/ping")
    assert status == 200 and body == {"status": "ok"}
    assert headers["x-featureratelimit-limit"] == "500" and headers["x-featureratelimit-remaining"] == "499"
    assert "x-featureratelimit-reset" in headers
    assert call(sb, "GET", "/cloudinary/v1_1/othercloud/ping")[0] == 401


def test_openai_models_list_shape(sb):
    status, headers, _, body = call(sb, "GET", "/openai/v1/models", headers=AUTH)
    assert status == 200 and body["object"] == "list"
    assert all(
        set(m) == {"id", "object", "created", "owned_by"} and m["object"] == "model" for m in body["data"]
    )
    assert "x-request-id" in headers
    status, _, _, body = call(sb, "GET", "/openai/v1/models")
    assert status == 401 and set(body["error"]) == {"message", "type", "param", "code"}


def test_compliance_engine(sb):
    assert call(sb, "GET", "/compliance/health")[3]["status"] == "ok"
    from delivery_window.sandbox.services.compliance import SEBI_WARNING

    clean = f"ProjectOne, SEBI RIA INA000012345. Today's brief. {SEBI_WARNING}"
    status, _, _, body = call(sb, "POST", "/compliance/v1/check", {"content_id": "c1", "text": clean})
    assert status == 200 and body["compliant"] is True and body["violations"] == []
    assert set(body) == {"content_id", "compliant", "violations", "checked_at"}
    _, _, _, body = call(
        sb, "POST", "/compliance/v1/check", {"content_id": "c2", "text": clean + " Guaranteed 20%!"}
    )
    assert body["compliant"] is False and [v["rule"] for v in body["violations"]] == ["R5"]
    assert call(sb, "POST", "/compliance/v1/check", {"text": "x"})[0] == 400


# --- Datadog, Grafana ----------------------------------------------------------------------------------
def test_datadog(sb):
    key = {"DD-API-KEY": "dd-secret-key"}
    series = {
        "series": [
            {"metric": "delivery_window.sla_pct", "type": 3, "points": [{"timestamp": 1, "value": 99.1}]}
        ]
    }
    status, _, _, body = call(sb, "POST", "/datadog/api/v2/series", series, key)
    assert (status, body) == (202, {"errors": []})
    status, _, _, body = call(sb, "POST", "/datadog/api/v2/series", {"metric": "x"}, key)
    assert status == 400 and body["errors"]
    assert call(sb, "POST", "/datadog/api/v2/series", series)[0] == 403
    assert call(sb, "GET", "/datadog/api/v1/validate", headers=key)[3] == {"valid": True}
    assert call(sb, "GET", "/datadog/api/v1/validate")[0] == 403
    both = key | {"DD-APPLICATION-KEY": "app"}
    status, _, _, monitors = call(
        sb, "GET", "/datadog/api/v1/monitor?monitor_tags=service:delivery-window", headers=both
    )
    assert status == 200 and monitors
    assert all(m["overall_state"] == "OK" and m["options"]["silenced"] == {} for m in monitors)
    assert all("service:delivery-window" in m["tags"] for m in monitors)
    assert call(sb, "GET", "/datadog/api/v1/monitor", headers=key)[0] == 403


def test_grafana(sb):
    status, _, _, body = call(sb, "GET", "/grafana/api/health")
    assert status == 200 and body["database"] == "ok" and {"commit", "version"} <= set(body)
    status, _, _, body = call(sb, "GET", "/grafana/api/dashboards/uid/delivery-window", headers=AUTH)
    assert status == 200 and body["dashboard"]["uid"] == "delivery-window" and body["dashboard"]["panels"]
    assert body["meta"]["slug"]
    assert call(sb, "GET", "/grafana/api/dashboards/uid/nope", headers=AUTH)[0] == 404
    assert call(sb, "GET", "/grafana/api/dashboards/uid/delivery-window")[0] == 401


# --- PagerDuty ------------------------------------------------------------------------------------------
def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in ("description", "x-examples", "example")}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _inline(node: Any, spec: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _inline(target, spec)
        return {k: _inline(v, spec) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, spec) for v in node]
    return node


def _pd_request_schema() -> dict:
    spec = _pagerduty_spec()
    return spec["paths"]["/enqueue"]["post"]["requestBody"]["content"]["application/json"]["schema"]


def _pd_response_schema(name: str) -> dict:
    return _pagerduty_spec()["components"]["responses"][name]["content"]["application/json"]["schema"]


TRIGGER = {
    "routing_key": ROUTING_KEY,
    "event_action": "trigger",
    "dedup_key": "delivery_window:2026-11-26:whatsapp_api_unavailable:overall",
    "payload": {
        "summary": "WhatsApp API unavailable",
        "source": "airflow/delivery_window",
        "severity": "critical",
        "custom_details": {"failed": 120},
    },
    "links": [{"href": "https://grafana.example/d/delivery-window", "text": "Dashboard"}],
}


def test_pagerduty_embedded_schema_equals_the_spec():
    assert PAGERDUTY_EVENT_SCHEMA == _strip(_inline(_pd_request_schema(), _pagerduty_spec()))


def test_pagerduty_trigger_ack_resolve(sb):
    spec = _pagerduty_spec()
    _validate(spec, _pd_request_schema(), TRIGGER)
    status, _, _, body = call(sb, "POST", "/pagerduty/v2/enqueue", TRIGGER)
    assert status == 202 and body == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": TRIGGER["dedup_key"],
    }
    _validate(spec, _pd_response_schema("Success"), body)
    call(sb, "POST", "/pagerduty/v2/enqueue", TRIGGER)  # a retry collapses into the same alert
    alert = sb.state()["pagerduty_alerts"][TRIGGER["dedup_key"]]
    assert alert["status"] == "triggered" and alert["events"] == 2 and alert["opened"] == 1
    resolve = {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": TRIGGER["dedup_key"]}
    assert call(sb, "POST", "/pagerduty/v2/enqueue", resolve)[0] == 202
    assert sb.state()["pagerduty_alerts"][TRIGGER["dedup_key"]]["status"] == "resolved"
    no_key = {k: v for k, v in TRIGGER.items() if k != "dedup_key"}
    generated = call(sb, "POST", "/pagerduty/v2/enqueue", no_key)[3]["dedup_key"]
    assert (
        len(generated) == 32
        and generated != call(sb, "POST", "/pagerduty/v2/enqueue", no_key)[3]["dedup_key"]
    )


@pytest.mark.parametrize(
    "event",
    [
        {"event_action": "trigger", "payload": TRIGGER["payload"]},  # no routing_key
        {"routing_key": ROUTING_KEY, "event_action": "explode", "payload": TRIGGER["payload"]},
        {"routing_key": ROUTING_KEY, "event_action": "trigger"},  # no payload
        {"routing_key": ROUTING_KEY, "event_action": "trigger", "payload": {"summary": "s", "source": "x"}},
        {
            "routing_key": ROUTING_KEY,
            "event_action": "trigger",
            "payload": {**TRIGGER["payload"], "severity": "bad"},
        },
        {"routing_key": ROUTING_KEY, "event_action": "acknowledge"},  # no dedup_key
        {**TRIGGER, "payload": {**TRIGGER["payload"], "summary": "x" * 1025}},
    ],
)
def test_pagerduty_invalid_events_are_400(sb, event):
    status, _, _, body = call(sb, "POST", "/pagerduty/v2/enqueue", event)
    assert (
        status == 400 and body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    )
    assert body["errors"] and all(isinstance(e, str) for e in body["errors"])
    _validate(_pagerduty_spec(), _pd_response_schema("Error"), body)


def test_pagerduty_unparseable_body(sb):
    status, _, _, body = call(sb, "POST", "/pagerduty/v2/enqueue", b"{not json")
    assert status == 400 and body["errors"] == ["JSON parse error"]


# --- Slack ------------------------------------------------------------------------------------------------
def test_slack_webhooks(sb):
    status, headers, text, _ = call(sb, "POST", WAR_ROOM, {"text": "sev1: WhatsApp down"})
    assert (status, text) == (200, "ok")
    assert (
        call(
            sb, "POST", WAR_ROOM, {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]}
        )[2]
        == "ok"
    )
    assert call(sb, "POST", WAR_ROOM, {"username": "x"})[:3:2] == (400, "invalid_payload")
    assert call(sb, "POST", WAR_ROOM, b"not json")[:3:2] == (400, "invalid_payload")
    assert call(sb, "POST", "/slack/services/T0/B0/unknown", {"text": "x"})[:3:2] == (
        404,
        "channel_not_found",
    )
    for path in SLACK_SANDBOX_PATH.values():
        assert call(sb, "POST", path, {"text": "x"})[0] == 200


# --- delivery service ---------------------------------------------------------------------------------------
def test_delivery_service_and_requeue_restores_the_rate(sb):
    assert call(sb, "GET", "/delivery/v1/queue")[3] == {"ready": True, "depth": 0, "workers": 8}
    health = call(sb, "GET", "/delivery/v1/webhooks/health")[3]
    assert health["status"] == "ok" and health["lag_seconds"] >= 0
    sb.set_scenario("whatsapp_outage")
    before = call(sb, "GET", "/delivery/v1/status?delivery_date=2026-11-26")[3]
    assert before["delivery_rate_pct"] < 60 and before["source"] == "scenario"
    req = {
        "delivery_date": "2026-11-26",
        "advisor_ids": ["ADV00001", "ADV00002"],
        "exclude_phone_number_ids": [NUMBER],
    }
    status, _, _, job = call(sb, "POST", "/delivery/v1/requeue", req)
    assert status == 202 and job["requeued"] == 2 and job["job_id"]
    after = call(sb, "GET", "/delivery/v1/status?delivery_date=2026-11-26")[3]
    assert after["delivery_rate_pct"] == 99.2 and after["source"] == "requeue"
    other_day = call(sb, "GET", "/delivery/v1/status?delivery_date=2026-11-27")[3]
    assert other_day["source"] == "scenario"
    assert call(sb, "POST", "/delivery/v1/requeue", {"advisor_ids": []})[0] == 400
    assert call(sb, "GET", "/delivery/v1/status")[0] == 400
    assert call(sb, "POST", f"/delivery/v1/numbers/{NUMBER}/pause")[3] == {
        "phone_number_id": NUMBER,
        "paused": True,
        "moved_attempts": 0,  # no platform database given: the pause is only remembered
    }
    assert call(sb, "POST", "/delivery/v1/numbers/999/pause")[0] == 404
    assert (
        call(sb, "POST", "/delivery/v1/fallback/activate", {"delivery_date": "2026-11-26"})[3]["activated"]
        is True
    )
    assert call(sb, "POST", "/delivery/v1/database/failover")[3]["status"] == "completed"
    state = sb.state()
    assert (
        state["paused_numbers"] == [NUMBER] and len(state["requeues"]) == 1 and len(state["failovers"]) == 1
    )


def test_unknown_paths_are_json_404(sb):
    status, _, _, body = call(sb, "GET", "/nowhere/at/all")
    assert status == 404 and body["error"] == "not_found"
    assert call(sb, "GET", "/datadog/api/v9/nothing")[0] == 404


# --- recording and control --------------------------------------------------------------------------------
def test_requests_are_recorded_with_secrets_masked(sb):
    call(sb, "GET", f"{WA}/{NUMBER}?fields=quality_rating", headers=AUTH)
    call(sb, "POST", "/datadog/api/v2/series", {"series": []}, {"DD-API-KEY": "dd-secret-key"})
    call(sb, "POST", WAR_ROOM, {"text": "hello"})
    call(sb, "POST", WAR_ROOM, b"raw text")
    wa = sb.requests("whatsapp")
    assert len(wa) == 1 and wa[0]["method"] == "GET" and wa[0]["query"] == {"fields": "quality_rating"}
    assert wa[0]["headers"]["authorization"] == "Bearer ***" and wa[0]["status"] == 200
    assert sb.requests("datadog")[0]["headers"]["dd-api-key"] == "***"
    slack = sb.requests("slack")
    assert slack[0]["json"] == {"text": "hello"} and slack[0]["path"] == WAR_ROOM
    assert slack[1]["body"] == "raw text" and "json" not in slack[1]
    assert {"service", "method", "path", "query", "headers", "at"} <= set(slack[0])
    dump = json.dumps(sb.requests())
    assert TOKEN not in dump and "dd-secret-key" not in dump
    sb.clear()
    assert sb.requests() == []


def test_control_endpoints_drive_the_sandbox_from_another_process(sb):
    client = SandboxClient(sb.url)
    assert client.health()["scenario"] == "healthy"
    call(sb, "POST", WAR_ROOM, {"text": "x"})
    assert [r["path"] for r in client.requests("slack")] == [WAR_ROOM]
    assert client.requests("pagerduty") == []
    client.set_scenario("whatsapp_outage", faults={"slack": "http_500"})
    assert sb.scenario == "whatsapp_outage" and call(sb, "POST", WAR_ROOM, {"text": "x"})[0] == 500
    client.set_faults({})
    assert call(sb, "POST", WAR_ROOM, {"text": "x"})[0] == 200
    client.clear()
    assert client.requests() == [] and client.state()["scenario"] == "whatsapp_outage"
    with pytest.raises(RuntimeError, match="400"):
        client.set_scenario("no_such_scenario")


# --- faults -------------------------------------------------------------------------------------------------
def test_fault_http_500_in_each_services_shape(sb):
    sb.set_faults({"slack": "http_500", "whatsapp": "http_500", "pagerduty": "http_500"})
    assert call(sb, "POST", WAR_ROOM, {"text": "x"})[:3:2] == (500, "rollup_error")
    status, _, _, body = call(sb, "GET", f"{WA}/{NUMBER}", headers=AUTH)
    assert status == 500 and body["error"]["is_transient"] is True
    assert call(sb, "POST", "/pagerduty/v2/enqueue", TRIGGER)[0] == 500
    assert sb.requests("slack")[0]["fault"] == "http_500" and sb.requests("slack")[0]["status"] == 500


def test_fault_http_429_has_retry_after(sb):
    sb.set_faults({"pagerduty": {"kind": "http_429", "retry_after": 7}})
    status, headers, _, _ = call(sb, "POST", "/pagerduty/v2/enqueue", TRIGGER)
    assert status == 429 and headers["retry-after"] == "7"


def test_fault_malformed_body(sb):
    sb.set_faults({"grafana": "malformed"})
    status, headers, text, parsed = call(sb, "GET", "/grafana/api/health")
    assert status == 200 and headers["content-type"] == "application/json" and text and parsed is None


def test_fault_refuse_drops_the_connection(sb):
    sb.set_faults({"openai": "refuse"})
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        call(sb, "GET", "/openai/v1/models", headers=AUTH)
    assert call(sb, "GET", "/grafana/api/health")[0] == 200  # other services unaffected


def test_fault_timeout_outlasts_the_client(sb):
    sb.set_faults({"compliance": {"kind": "timeout", "seconds": 1.0}})
    started = time.monotonic()
    with pytest.raises((TimeoutError, socket.timeout)):
        call(sb, "GET", "/compliance/health", timeout=0.2)
    assert time.monotonic() - started < 0.9


def test_fault_slow_then_answers(sb):
    sb.set_faults({"compliance": {"kind": "slow", "seconds": 0.3}})
    started = time.monotonic()
    assert call(sb, "GET", "/compliance/health")[0] == 200
    assert time.monotonic() - started >= 0.3


def test_fault_times_then_recovers(sb):
    sb.set_faults({"datadog": {"kind": "http_503", "times": 2}})
    codes = [call(sb, "GET", "/datadog/api/v1/validate", headers={"DD-API-KEY": "k"})[0] for _ in range(3)]
    assert codes == [503, 503, 200]
    assert sb.faults() == {}


@pytest.mark.parametrize(
    "faults", [{"slack": "explode"}, {"nosuchservice": "http_500"}, {"slack": {"seconds": 1}}]
)
def test_invalid_faults_are_rejected(sb, faults):
    with pytest.raises(ValueError):
        sb.set_faults(faults)


# --- CLI --------------------------------------------------------------------------------------------------
def test_module_cli_prints_the_url_first(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "delivery_window.sandbox", "--scenario", "whatsapp_outage", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert SandboxClient(url).health()["scenario"] == "whatsapp_outage"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert proc.returncode == 0
