"""The sandbox's stand-ins answer from the day in the platform database (issue 15, requirement 7): the delivery
service's traffic plan from the active advisors and sender numbers, the WABA's numbers and templates from
``platform.sender_numbers`` and ``platform.templates_in_use``; a scenario's bad state lands on the names the data
uses. An imported day (more advisors, another template and number) is judged like a generated one."""

from __future__ import annotations

import http.client
import json
import os
from datetime import date
from typing import Any

import psycopg
import pytest

from delivery_window import runtime
from delivery_window.checks.probes import run_check
from delivery_window.connections import SANDBOX_WABA_ID, sandbox_connections
from delivery_window.protocol import get_protocol
from delivery_window.records import Status
from delivery_window.sandbox import Sandbox, generate_day, write_day
from delivery_window.sandbox.scenario_sets.pre_delivery import RED_NUMBER

pytestmark = pytest.mark.integration

DAY = date(2026, 10, 14)
P = get_protocol()
AUTH = {"Authorization": "Bearer sandbox-token"}
WA = "/whatsapp/v23.0"
RENAMED = "morning_note_seg2"  # segment 2's template on the imported day (generated: daily_brief_seg2)
SHARD4 = "1065550913"  # the imported day's number at shard 4 (the generated one: RED_NUMBER)
EXTRA = "1065550906"  # a sixth number the generated day does not have
ADDED = 1_000  # active advisors beyond the generated day's 2,000
# The checks that read the sandbox's answers about the day: plan, numbers, templates.
DAY_CHECKS = (
    "check_number_shards",
    "check_jitter_windows",
    "check_whatsapp_rate_limits",
    "check_sender_quality",
    "check_templates_approved",
    "check_fallback_content",
)


def call(sb: Sandbox, path: str) -> tuple[int, Any]:
    host, port = sb.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request("GET", path, headers=AUTH)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read().decode())
    finally:
        conn.close()


def plan(sb: Sandbox) -> dict[str, Any]:
    status, body = call(sb, f"/delivery/v1/plan?delivery_date={DAY.isoformat()}")
    assert status == 200, body
    return body


def templates(sb: Sandbox) -> list[dict[str, Any]]:
    fields = "id,name,language,status,category,quality_score"
    status, body = call(sb, f"{WA}/{SANDBOX_WABA_ID}/message_templates?fields={fields}&limit=1000")
    assert status == 200, body
    return body["data"]


def numbers(sb: Sandbox) -> list[dict[str, Any]]:
    fields = "id,display_phone_number,status,quality_rating,health_status"
    status, body = call(sb, f"{WA}/{SANDBOX_WABA_ID}/phone_numbers?fields={fields}&limit=100")
    assert status == 200, body
    return body["data"]


def import_like(url: str) -> dict[str, int]:
    """Turn the generated day into what an imported one may look like: 3,000 active advisors, segment 2 sent
    with another template, shard 4 another number and a sixth number; returns counts of the changed rows."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO platform.advisors (advisor_id, segment, tier, phone_e164, active) "
            "SELECT format('IMP%%05s', i), 1 + (i - 1) %% 4, 'standard', format('+9171000%%05s', i), true "
            "FROM generate_series(1, %(n)s) AS i",
            {"n": ADDED},
        )
        conn.execute(
            "UPDATE platform.templates_in_use SET template_name = %s WHERE delivery_date = %s AND segment = 2",
            (RENAMED, DAY),
        )
        sent = conn.execute(
            "UPDATE platform.delivery_attempts SET template_name = %s WHERE delivery_date = %s AND segment = 2 "
            "RETURNING status",
            (RENAMED, DAY),
        ).fetchall()
        conn.execute(
            "UPDATE platform.sender_numbers SET phone_number_id = %s, display_phone_number = '+91 80 4555 0913' "
            "WHERE phone_number_id = %s",
            (SHARD4, RED_NUMBER),
        )
        conn.execute(
            "UPDATE platform.delivery_attempts SET phone_number_id = %s WHERE delivery_date = %s "
            "AND phone_number_id = %s",
            (SHARD4, DAY, RED_NUMBER),
        )
        conn.execute("INSERT INTO platform.sender_numbers VALUES (%s, '+91 80 4555 0906', 6, true)", (EXTRA,))
        conn.commit()
    return {"renamed_delivered": sum(s in ("delivered", "read") for (s,) in sent)}


@pytest.fixture(scope="module")
def generated(own_database):
    """A database holding one generated healthy day."""
    from delivery_window.sandbox.scenarios import apply_source_contract

    with own_database("generated_day") as url:
        with psycopg.connect(url) as conn:
            apply_source_contract(conn)
            write_day(conn, generate_day("healthy", DAY))
            conn.commit()
        yield url


@pytest.fixture(scope="module")
def imported(own_database):
    """A database holding the generated healthy day changed as an imported day may differ."""
    from delivery_window.sandbox.scenarios import apply_source_contract

    with own_database("imported_day") as url:
        with psycopg.connect(url) as conn:
            apply_source_contract(conn)
            write_day(conn, generate_day("healthy", DAY))
            conn.commit()
        counts = import_like(url)
        assert counts["renamed_delivered"] > 400  # the renamed template really carried the day's segment 2
        yield url


def point_checks_at(sb: Sandbox, url: str) -> None:
    runtime.set_connections(
        sandbox_connections(sb.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
    )


def test_plan_follows_the_days_advisors_and_sender_numbers(imported):
    with Sandbox("healthy", platform_db=imported) as sb:
        got = plan(sb)
        listed = [n["id"] for n in numbers(sb)]
    assert got["advisors_planned"] == 2_000 + ADDED
    assert {s["segment"]: s["advisors"] for s in got["segments"]} == {s: 750 for s in (1, 2, 3, 4)}
    assert all(s["jitter_ms"] > 0 for s in got["segments"])
    per_number = {n["phone_number_id"]: n["advisors"] for n in got["numbers"]}
    assert set(per_number) == set(listed) and SHARD4 in per_number and EXTRA in per_number
    assert RED_NUMBER not in per_number
    assert sorted(per_number.values()) == [500] * 6 and sum(per_number.values()) == 3_000


def test_templates_follow_templates_in_use(imported):
    with Sandbox("healthy", platform_db=imported) as sb:
        got = {(t["name"], t["language"]): t for t in templates(sb)}
    for language in ("en", "hi"):
        t = got[(RENAMED, language)]
        assert t["status"] == "APPROVED" and t["quality_score"]["score"] == "GREEN" and t["id"].isdigit()
    assert len({t["id"] for t in got.values()}) == len(got)  # every template its own id


def test_the_checks_that_read_the_day_pass_on_the_imported_day(imported):
    with Sandbox("healthy", platform_db=imported) as sb:
        point_checks_at(sb, imported)
        results = {name: run_check(name, DAY, P) for name in DAY_CHECKS}
    assert {n: r.message for n, r in results.items() if r.status is not Status.PASS} == {}
    assert results["check_number_shards"].observed["advisors_planned"] == 3_000
    assert RENAMED in results["check_templates_approved"].observed["in_use"]


@pytest.mark.parametrize(
    ("scenario", "check", "message"),
    [
        # the scenario pauses segment 2's primary template and reds shard 4: on this day, those are these names
        ("template_paused", "check_templates_approved", f"{RENAMED} (en): PAUSED; {RENAMED} (hi): PAUSED"),
        ("shard_red", "check_number_shards", f"{SHARD4}: quality RED"),
        ("shard_red", "check_sender_quality", f"unhealthy numbers: {SHARD4}=RED/CONNECTED"),
        ("template_rejected", "check_templates_approved", "daily_brief_seg3 (hi): REJECTED"),
    ],
)
def test_a_scenarios_bad_state_lands_on_the_days_names(imported, scenario, check, message):
    with Sandbox(scenario, platform_db=imported) as sb:
        point_checks_at(sb, imported)
        r = run_check(check, DAY, P)
    assert r.status is Status.FAIL and message in r.message, r


def test_an_excluded_number_is_replanned_on_the_days_other_numbers(imported):
    with Sandbox("shard_red", platform_db=imported) as sb:
        host, port = sb.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        body = json.dumps({"delivery_date": DAY.isoformat(), "exclude_phone_number_ids": [SHARD4]})
        conn.request(
            "POST", "/delivery/v1/plan/replan", body=body, headers={"Content-Type": "application/json"}
        )
        resp = conn.getresponse()
        replanned = json.loads(resp.read().decode())
        conn.close()
        assert resp.status == 200, replanned
        again = plan(sb)
    for got in (replanned, again):
        per_number = {n["phone_number_id"]: (n["advisors"], n["excluded"]) for n in got["numbers"]}
        assert per_number[SHARD4] == (0, True) and got["advisors_planned"] == 3_000
        assert sorted(a for a, excluded in per_number.values() if not excluded) == [600] * 5


def test_a_generated_day_gets_the_answers_it_got_before(generated):
    """With the platform database the answers about a generated day are the scenario's own, byte for byte
    (the e2e days are judged as they were)."""
    for scenario in ("healthy", "template_paused", "shard_red"):
        with Sandbox(scenario) as fixed, Sandbox(scenario, platform_db=generated) as from_data:
            for read in (plan, templates, numbers):
                assert read(from_data) == read(fixed), (scenario, read.__name__)


def test_without_platform_db_the_answers_stay_the_scenarios(imported):
    with Sandbox("healthy") as sb:
        point_checks_at(sb, imported)
        assert plan(sb)["advisors_planned"] == 2_000
        assert RENAMED not in {t["name"] for t in templates(sb)}
        assert run_check("check_number_shards", DAY, P).status is Status.FAIL  # 2,000 of 3,000 planned


def test_an_unreachable_platform_db_leaves_the_stand_ins_answering():
    """A real WhatsApp or delivery service does not go down with our database: the scenario's answers."""
    with Sandbox("healthy", platform_db="postgresql://postgres@127.0.0.1:9/nowhere") as sb:
        assert plan(sb)["advisors_planned"] == 2_000
        assert len(numbers(sb)) == 5 and any(t["name"] == "daily_brief_seg2" for t in templates(sb))


def test_a_platform_db_gone_after_a_read_leaves_the_last_day_read(own_database):
    from delivery_window.sandbox.scenarios import apply_source_contract

    with own_database("vanishing_day") as url:
        with psycopg.connect(url) as conn:
            apply_source_contract(conn)
            write_day(conn, generate_day("healthy", DAY))
            conn.commit()
        import_like(url)
        sb = Sandbox("healthy", platform_db=url).start()
        try:
            assert plan(sb)["advisors_planned"] == 3_000
            assert RENAMED in {t["name"] for t in templates(sb)}
        except BaseException:
            sb.stop()
            raise
    try:  # the database is dropped now: every read fails
        assert plan(sb)["advisors_planned"] == 3_000
        assert RENAMED in {t["name"] for t in templates(sb)} and EXTRA in {n["id"] for n in numbers(sb)}
    finally:
        sb.stop()
