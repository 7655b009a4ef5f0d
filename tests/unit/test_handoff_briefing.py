"""Issue 14: the incoming engineer's five briefing items in the protocol's order, notes and planned changes in
the handoff, the handoff's Confluence page, and protocol.yaml's checks of the briefing and the page (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from delivery_window.paths import ROOT
from delivery_window.protocol import ProtocolError, get_protocol, load_protocol
from delivery_window.reports import advisor_issues as ai
from delivery_window.reports import briefing, daily, handoff, handoff_page

P = get_protocol()
IST = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 3, 22)
HANDOFF_AT = datetime(2026, 3, 22, 6, 30, tzinfo=IST)


def sections(**kw):
    summary = daily.build_summary({"sla_pct": 99.4, "sla_met": True, "sla_target_pct": 99.0}, [], [], None, 0)
    return handoff.build_sections(
        summary=summary,
        incidents=[],
        advisor_summary=ai.summarize([]),
        runbook_steps=[],
        incident_log=[],
        alert_log=[],
        since=HANDOFF_AT - timedelta(hours=24),
        until=HANDOFF_AT,
        open_incidents=kw.pop("open_incidents", []),
        findings=[],
        protocol=P,
        tz=IST,
        **kw,
    )


NOTE = {
    "note_id": "7",
    "text": "Number …0104 is on a Meta appeal: do not unpause it <before> the day lead says so",
    "starts_at": datetime(2026, 3, 21, 23, 0, tzinfo=UTC),
    "until": None,
    "author": "asha",
    "created_at": datetime(2026, 12, 1, tzinfo=UTC),
}
CHANGE = {
    "change_id": "3",
    "starts_at": datetime(2026, 3, 22, 14, 0, tzinfo=IST),
    "ends_at": datetime(2026, 3, 22, 15, 0, tzinfo=IST),
    "title": "Postgres minor upgrade",
    "details": None,
    "author": "ravi",
    "created_at": datetime(2026, 12, 1, tzinfo=UTC),
}


def test_the_handoff_carries_the_five_briefing_items_in_the_protocols_order_each_with_its_section():
    s = sections(
        notes=briefing.notes_as_handoff([NOTE], IST),
        planned_changes=briefing.changes_as_handoff([CHANGE], HANDOFF_AT, IST),
    )
    items = s["incoming_engineer_briefing"]["items"]
    assert [i["item"] for i in items] == [
        "review_previous_incident_log",
        "current_system_health_status_overview",
        "pending_issues_requiring_monitoring",
        "upcoming_scheduled_maintenance_or_changes",
        "special_instructions_or_known_issues",
    ]
    assert all(i["section"] in s for i in items)
    assert s["special_instructions_or_known_issues"]["notes"][0]["text"].startswith("Number …0104")
    assert s["special_instructions_or_known_issues"]["notes"][0]["since"] == "2026-03-22T04:30:00+05:30"
    (change,) = s["upcoming_scheduled_maintenance_or_changes"]["planned_changes"]
    assert (change["state"], change["title"]) == ("upcoming", "Postgres minor upgrade")
    health = s["current_system_health_status_overview"]
    assert (health["status"], health["sla_met"], health["open_incidents"]) == ("healthy", True, [])
    assert "2026-12-01" not in str(s)  # a note's created_at (a wall clock) is not in the handoff


def test_an_open_incident_makes_the_health_overview_need_attention():
    health = sections(open_incidents=[{"incident_id": "2026-03-22:delivery_failure"}])[
        "current_system_health_status_overview"
    ]
    assert health["status"] == "needs_attention" and health["open_incidents"] == [
        "2026-03-22:delivery_failure"
    ]


def test_the_confluence_page_lists_the_briefing_first_in_order_then_the_required_sections_escaped():
    s = sections(notes=briefing.notes_as_handoff([NOTE], IST))
    title, body = handoff_page.render(DAY, s, P)
    assert title == "on_call_handoff_log"  # protocol.yaml location confluence/on_call_handoff_log
    headings = [line for line in body.splitlines() if line.startswith("<h3>")]
    assert headings[:5] == [
        "<h3>1. Review previous incident log</h3>",
        "<h3>2. Current system health status overview</h3>",
        "<h3>3. Pending issues requiring monitoring</h3>",
        "<h3>4. Upcoming scheduled maintenance or changes</h3>",
        "<h3>5. Special instructions or known issues</h3>",
    ]
    assert [h.split(">")[1].split("<")[0] for h in headings[5:]] == [
        "Incidents",
        "Performance notes",
        "Advisor issues",
        "Infrastructure changes",
    ]
    assert "&lt;before&gt;" in body and "<before>" not in body  # storage format is XHTML: text is escaped
    again = handoff_page.render(DAY, sections(notes=briefing.notes_as_handoff([NOTE], IST)), P)[1]
    assert handoff_page.digest(again) == handoff_page.digest(
        body
    )  # unchanged handoff: same key, no republish
    assert handoff_page.digest(handoff_page.render(DAY, sections(), P)[1]) != handoff_page.digest(body)


@pytest.mark.parametrize(("text", "flag"), [("tomorrow", "--until"), ("2026-13-01T05:00", "--from")])
def test_a_time_that_is_not_iso_8601_is_one_precise_error(text, flag):
    with pytest.raises(briefing.BriefingError, match=rf"^{flag} '{text}' is not an ISO 8601 time"):
        briefing.parse_time(text, flag, P)


def test_a_time_without_an_offset_is_ist():
    assert briefing.parse_time("2026-03-22T05:00", "--from", P) == datetime(2026, 3, 22, 5, 0, tzinfo=IST)


def _variant(tmp_path: Path, edit) -> ProtocolError:
    data = yaml.safe_load((ROOT / "include" / "protocol.yaml").read_text(encoding="utf-8"))
    edit(data["shift_handoff"]["handoff_documentation"])
    file = tmp_path / "protocol.yaml"
    file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_protocol(file)
    return info.value


def test_a_briefing_item_without_a_section_is_refused_naming_the_key(tmp_path):
    error = _variant(
        tmp_path, lambda doc: doc["briefing_item_sections"].pop("special_instructions_or_known_issues")
    )
    assert "briefing_item_sections has no section for special_instructions_or_known_issues" in str(error)


def test_a_briefing_item_mapped_to_an_unknown_section_is_refused(tmp_path):
    def edit(doc):
        doc["briefing_item_sections"]["pending_issues_requiring_monitoring"] = "pending_isues"

    error = _variant(tmp_path, edit)
    assert "briefing_item_sections.pending_issues_requiring_monitoring: pending_isues is not one of" in str(
        error
    )


def test_a_handoff_location_outside_confluence_is_refused(tmp_path):
    error = _variant(tmp_path, lambda doc: doc.update(location="sharepoint/handoff"))
    assert "shift_handoff.handoff_documentation.location" in str(error)
