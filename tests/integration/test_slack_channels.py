"""check_slack_channels asks the Slack Web API (through the provider's SlackHook) about every channel the window
posts to: a revoked token, an archived channel and one the app is not a member of each fail with a precise
message; nothing is posted; a Web API that cannot be reached is an error naming it."""

from __future__ import annotations

import json
import socket
from datetime import date
from urllib.parse import parse_qs

import pytest

from delivery_window.checks.probes import run_check
from delivery_window.protocol import get_protocol
from delivery_window.records import Status

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 9)
P = get_protocol()
FAST = P.model_copy(update={"checks": P.checks.model_copy(update={"http_timeout_seconds": 1})})


@pytest.fixture(scope="module")
def sb(wired_sandbox):
    with wired_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def fresh(sb):
    sb.set_scenario("healthy")
    sb.clear()
    yield


def test_healthy_channels_pass_through_the_web_api_and_nothing_is_posted(sb):
    r = run_check("check_slack_channels", DAY, FAST)
    assert r.status is Status.PASS, r.message
    assert r.message == (
        "open, the app a member: #delivery-war-room (C0WARROOM0), #engineering-alerts (C0ENGALR00), "
        "#delivery-ops (C0DELOPS00)"
    )
    calls = [
        (q["path"], parse_qs(q.get("body") or "").get("channel", [None])[0]) for q in sb.requests("slack_api")
    ]
    assert calls == [
        ("/slack_api/api/auth.test", None),
        ("/slack_api/api/conversations.list", None),
        ("/slack_api/api/conversations.info", "C0WARROOM0"),
        ("/slack_api/api/conversations.info", "C0ENGALR00"),
        ("/slack_api/api/conversations.info", "C0DELOPS00"),
    ]
    assert all(q["headers"]["authorization"] == "Bearer ***" for q in sb.requests("slack_api"))
    assert sb.requests("slack") == []  # no webhook post


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("slack_token_revoked", "Slack auth.test: token_revoked (the app's bot token was revoked)"),
        ("slack_channel_archived", "#engineering-alerts (C0ENGALR00) is archived"),
        ("slack_app_not_member", "#delivery-ops (C0DELOPS00): the app (delivery-window) is not a member"),
    ],
)
def test_a_revoked_token_an_archived_channel_or_a_missing_membership_fails(sb, scenario, message):
    sb.set_scenario(scenario)
    r = run_check("check_slack_channels", DAY, FAST)
    assert (r.status, r.message) == (Status.FAIL, message)


def test_a_channel_slack_does_not_know_is_named(sb, monkeypatch):
    names = P.communication_channels.model_copy(
        update={
            "slack_channels": P.communication_channels.slack_channels.model_copy(
                update={"daily_operations": "#delivery-operations"}
            )
        }
    )
    renamed = FAST.model_copy(update={"communication_channels": names})
    r = run_check("check_slack_channels", DAY, renamed)
    assert r.status is Status.FAIL
    assert r.message == "#delivery-operations: channel_not_found (no such channel the app can see)"


def test_an_unreachable_web_api_is_an_error_naming_it(sb, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_SLACK_API",
        json.dumps(
            {
                "conn_type": "slack",
                "password": "xoxb-x",
                "extra": {"base_url": f"http://127.0.0.1:{port}/api/"},
            }
        ),
    )
    r = run_check("check_slack_channels", DAY, FAST)
    assert r.status is Status.ERROR
    assert r.message.startswith("slack_api: auth.test: connection failed (ConnectionRefusedError"), r.message


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("http_503", "slack_api: auth.test: HTTP 503"),
        ("malformed", "slack_api: auth.test: HTTP 200 with a body that is not JSON"),
        ({"kind": "http_429", "retry_after": 30}, "slack_api: auth.test: HTTP 429"),
    ],
)
def test_web_api_faults_are_precise_errors(sb, fault, message):
    sb.set_faults({"slack_api": fault})
    r = run_check("check_slack_channels", DAY, FAST)
    assert r.status is Status.ERROR and r.message.startswith(message), r.message
