"""Issue 14: the status pages, X and Confluence through the real senders against the sandbox (which validates the
real APIs' request shapes), a failed publish retried through the outbox, and the briefing commands on a real
PostgreSQL. Dates 2026-03-25 … 2026-03-27 (each test owns its date: the outbox commits)."""

from __future__ import annotations

import http.client
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest

from delivery_window import cli
from delivery_window.connections import (
    CONFLUENCE,
    SANDBOX_STATUSPAGE,
    STATUSPAGE_ADVISOR_FACING,
    STATUSPAGE_INTERNAL,
    X_API,
)
from delivery_window.escalation import comms, outbox, publish
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol

P = get_protocol()
IST = ZoneInfo("Asia/Kolkata")
INCIDENT = "2026-03-25:delivery_failure"


@pytest.fixture(scope="module")
def sb(wired_sandbox):
    with wired_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def fresh(sb):
    sb.set_faults(None)
    sb.clear()


def calls(sb, service: str) -> list[tuple[str, str, int]]:
    return [(r["method"], r["path"].split("/", 2)[2], r["status"]) for r in sb.requests(service)]


def test_a_status_page_incident_is_created_then_moved_on_and_a_resend_changes_nothing(sb):
    page = SANDBOX_STATUSPAGE[STATUSPAGE_INTERNAL]["page_id"]
    opened = comms.statuspage_payload("internal", "investigating", INCIDENT, "Delivery window: WhatsApp down",
                                      "Investigating since 06:02 IST.", P)  # fmt: skip
    outbox.send_via_providers(STATUSPAGE_INTERNAL, "status_page_update", opened)
    identified = comms.statuspage_payload("internal", "identified", INCIDENT, "Delivery window: WhatsApp down",
                                          "Cause identified.", P)  # fmt: skip
    outbox.send_via_providers(STATUSPAGE_INTERNAL, "status_page_update", identified)
    outbox.send_via_providers(
        STATUSPAGE_INTERNAL, "status_page_update", identified
    )  # unknown outcome: resent
    assert calls(sb, "statuspage") == [
        ("GET", f"v1/pages/{page}/incidents", 200),
        ("POST", f"v1/pages/{page}/incidents", 201),
        ("GET", f"v1/pages/{page}/incidents", 200),
        ("PATCH", f"v1/pages/{page}/incidents/sp0000000001", 200),
        ("GET", f"v1/pages/{page}/incidents", 200),  # found in that state already: no second update
    ]
    create = sb.requests("statuspage")[1]
    assert create["headers"]["authorization"] == "OAuth ***"
    body = create["json"]["incident"]
    component = SANDBOX_STATUSPAGE[STATUSPAGE_INTERNAL]["component_id"]
    assert body["status"] == "investigating" and body["components"] == {component: "major_outage"}
    assert body["metadata"] == {"delivery_window": {"incident_id": INCIDENT}}
    (incident,) = sb.state()["statuspage_incidents"].values()
    assert [u["status"] for u in incident["incident_updates"]] == ["identified", "investigating"]
    # the other page is another connection: its own page id, nothing of the internal page's
    advisor = comms.statuspage_payload(
        "advisor_facing", "investigating", INCIDENT, "Degraded", "Late today.", P
    )
    outbox.send_via_providers(STATUSPAGE_ADVISOR_FACING, "status_page_update", advisor)
    assert sb.requests("statuspage")[-1]["path"].endswith(
        f"/pages/{SANDBOX_STATUSPAGE[STATUSPAGE_ADVISOR_FACING]['page_id']}/incidents"
    )


def _raw(sb, method: str, path: str, body, headers: dict) -> tuple[int, dict]:
    host, port = sb.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request(method, path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers})
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read() or b"null")


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "says"),
    [
        ("/statuspage/v1/pages/kctbh9vrtdwd/incidents", {"incident": {"name": "x", "status": "degraded"}},
         {"Authorization": "OAuth k"}, 422, "status must be one of"),
        ("/statuspage/v1/pages/kctbh9vrtdwd/incidents", {"name": "x", "status": "investigating"},
         {"Authorization": "OAuth k"}, 400, "incident is missing"),
        ("/statuspage/v1/pages/kctbh9vrtdwd/incidents", {"incident": {"name": "x", "status": "investigating"}},
         {"Authorization": "Bearer k"}, 401, "Could not authenticate"),
        ("/x/2/tweets", {"status": "hello"}, {"Authorization": "Bearer t"}, 400, "are not one of"),
        ("/x/2/tweets", {"text": "x" * 281}, {"Authorization": "Bearer t"}, 400, "at most 280"),
        ("/confluence/wiki/rest/api/content", {"type": "page", "title": "t", "space": {"key": "ONCALL"},
         "body": {"storage": {"value": "<p/>", "representation": "wiki"}}}, {"Authorization": "Basic eDp5"},
         400, "representation must be 'storage'"),
    ],
)  # fmt: skip
def test_the_sandbox_refuses_a_malformed_request_as_the_real_api_does(sb, path, body, headers, status, says):
    got, answer = _raw(sb, "POST", path, body, headers)
    assert got == status and says in json.dumps(answer)


def test_an_x_post_is_posted_once_and_a_resend_counts_as_sent(sb):
    payload = comms.x_post_payload("Today's content delivery is degraded.", "status.projectone.ai")
    outbox.send_via_providers(X_API, "x_post", payload)
    outbox.send_via_providers(X_API, "x_post", payload)  # X answers 403 duplicate: the first one went out
    assert [(m, s) for m, _, s in calls(sb, "x")] == [("POST", 201), ("POST", 403)]
    assert sb.requests("x")[0]["json"] == {"text": payload["text"]}
    assert [p["text"] for p in sb.state()["x_posts"]] == [payload["text"]]


def test_the_handoff_page_is_created_then_updated_with_a_new_version_and_never_duplicated(sb):
    for body in ("<p>day one</p>", "<p>day one</p>", "<p>day two</p>"):
        outbox.send_via_providers(
            CONFLUENCE,
            "confluence_page",
            {"title": "on_call_handoff_log", "body": body, "version_message": "v"},
        )
    assert [(m, s) for m, _, s in calls(sb, "confluence")] == [
        ("GET", 200), ("POST", 200),  # first shift: not found, created
        ("GET", 200),  # the same page again (a resend): found with that body, nothing sent
        ("GET", 200), ("PUT", 200),  # next shift: a new version
    ]  # fmt: skip
    get = sb.requests("confluence")[0]
    assert get["query"]["spaceKey"] == "ONCALL" and get["query"]["title"] == "on_call_handoff_log"
    assert get["headers"]["authorization"] == "Basic ***"
    put = sb.requests("confluence")[-1]["json"]
    assert put["version"]["number"] == 2 and put["body"]["storage"]["representation"] == "storage"
    (page,) = sb.state()["confluence_pages"].values()
    assert page["version"]["number"] == 2 and page["history"] == ["<p>day one</p>", "<p>day two</p>"]


def test_a_failed_publish_stays_pending_in_the_outbox_and_the_next_flush_sends_it(sb, db_url):
    day = date(2026, 3, 26)
    at = datetime(2026, 3, 26, 6, 30, tzinfo=IST)
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        for table in ("escalations", "notifications"):
            conn.execute(f"DELETE FROM delivery_ops.{table} WHERE delivery_date = %s", (day,))  # noqa: S608
        assert publish.publish_handoff(conn, day, "on_call_handoff_log", "<p>x</p>", "d1", at, P)
        assert not publish.publish_handoff(
            conn, day, "on_call_handoff_log", "<p>x</p>", "d1", at, P
        )  # a rerun
        conn.commit()
        sb.set_faults({"confluence": "http_503"})
        first = outbox.flush(conn, day)
        assert list(first.failed) == [f"confluence:delivery_window:{day}:handoff:d1"]
        assert "confluence: HTTP 503" in next(iter(first.failed.values()))
        sb.set_faults(None)
        second = outbox.flush(conn, day)
        assert second.sent == 1 and not second.failed
        status = conn.execute(
            "SELECT status, attempts FROM delivery_ops.escalations WHERE delivery_date = %s", (day,)
        ).fetchone()
        assert status == ("sent", 2)
    assert [r["method"] for r in sb.requests("confluence") if r.get("fault") is None] == ["GET", "POST"]


def test_note_and_change_commands_store_what_the_handoff_lists_and_refuse_bad_input_in_one_line(
    db_url, capsys
):
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        conn.commit()
    base = ["--db-url", db_url]
    assert cli.main(["note", *base, "add", "--text", "Number …0104 under Meta review", "--from",
                     "2026-03-27T05:00", "--until", "2026-03-28T05:00", "--by", "asha"]) == 0  # fmt: skip
    assert cli.main(["change", *base, "add", "--start", "2026-03-27T14:00", "--end", "2026-03-27T15:00",
                     "--title", "Postgres minor upgrade", "--by", "ravi"]) == 0  # fmt: skip
    capsys.readouterr()
    assert cli.main(["note", *base, "list", "--at", "2026-03-27T06:30"]) == 0
    assert "Number …0104 under Meta review (asha)" in capsys.readouterr().out
    assert cli.main(["change", *base, "list", "--at", "2026-03-27T06:30"]) == 0
    assert "Postgres minor upgrade (ravi)" in capsys.readouterr().out
    bad = [
        (["note", *base, "add", "--text", " ", "--by", "asha"], "--text is required"),
        (["note", *base, "add", "--text", "x", "--by", "asha", "--from", "2026-03-27T05:00",
          "--until", "2026-03-27T04:00"], "--until 2026-03-27T04:00:00+05:30 is not after"),
        (["note", *base, "add", "--text", "x", "--by", "asha", "--until", "soon"], "--until 'soon' is not an ISO"),
        (["note", *base, "expire", "999999"], "no unexpired note 999999"),
        (["change", *base, "add", "--start", "2026-03-27T14:00", "--end", "2026-03-27T13:00", "--title", "t",
          "--by", "ravi"], "--end 2026-03-27T13:00:00+05:30 is before --start"),
        (["change", *base, "cancel", "abc"], "change id 'abc' is not a number"),
    ]  # fmt: skip
    for argv, says in bad:
        before = _count(db_url)
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, err
        assert _count(db_url) == before  # nothing written


def _count(db_url: str) -> tuple[int, int]:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM delivery_ops.handoff_notes), (SELECT count(*) FROM delivery_ops.planned_changes)"
        ).fetchone()
