"""05:30 content-pipeline checks: approval queue, pre-rendered content, templates, preferences (pure)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from delivery_window.checks import judge
from delivery_window.protocol import get_protocol
from delivery_window.records import Status

P = get_protocol()
PH = "pre_delivery.content_pipeline"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pre_delivery"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


# --- approval queue: "should_be_0_items" ------------------------------------------------------------------------
def test_zero_pending_passes_one_pending_fails():
    assert P.checks.approval_queue_max_items == 0
    cleared = judge.approval_queue({"pending_items": [], "by_state": {"approved": 12}}, P, PH)
    assert cleared.status is Status.PASS and cleared.message == "queue cleared: 0 pending of 12 items"
    item = {"item_id": "AQ-20261001-s1-quote", "content_id": "20261001-s1-quote", "segment": 1}
    one = judge.approval_queue({"pending_items": [item], "by_state": {"approved": 11, "pending": 1}}, P, PH)
    assert one.status is Status.FAIL
    assert one.message == "1 items pending approval (should be 0): 20261001-s1-quote"
    assert one.observed["segments_affected"] == [1] and one.observed["pending"] == 1


# --- content pre-rendered --------------------------------------------------------------------------------------
def items() -> list[dict]:
    assets = fixture("cloudinary_resources.json")["resources"]
    return [
        {
            "content_id": f"20261001-{a['public_id'].rsplit('/', 1)[1]}",
            "segment": int(a["public_id"].rsplit("/s", 1)[1][0]),
            "rendered": True,
            "asset_url": a["secure_url"],
        }
        for a in assets
    ]


def assets() -> list[str]:
    return [r["public_id"] for r in fixture("cloudinary_resources.json")["resources"]]


def test_every_item_rendered_with_its_asset_passes():
    r = judge.content_rendered({"items": items(), "assets": assets()}, P, PH)
    assert r.status is Status.PASS and r.message == "12 items rendered, every asset on Cloudinary"


def test_not_rendered_no_url_and_missing_asset_each_fail_with_their_segment():
    rows = copy.deepcopy(items())
    rows[0]["rendered"] = False
    rows[4]["asset_url"] = None
    gone = judge.public_id(rows[11]["asset_url"])
    r = judge.content_rendered({"items": rows, "assets": [a for a in assets() if a != gone]}, P, PH)
    assert r.status is Status.FAIL
    assert r.observed["problems"] == [
        f"{rows[0]['content_id']}: not rendered",
        f"{rows[4]['content_id']}: no asset URL",
        f"{rows[11]['content_id']}: asset {gone} missing on Cloudinary",
    ]
    assert r.observed["segments_affected"] == sorted(
        {rows[0]["segment"], rows[4]["segment"], rows[11]["segment"]}
    )


def test_no_content_for_the_day_fails():
    assert (
        judge.content_rendered({"items": [], "assets": None}, P, PH).message == "no content items for today"
    )


# --- templates approved and active ------------------------------------------------------------------------------
def api_templates() -> list[dict]:
    return fixture("graph_message_templates.json")["data"]


IN_USE = [
    {"template_name": f"daily_brief_seg{s}", "language": lang, "segment": s}
    for s in (1, 2, 3, 4)
    for lang in ("en", "hi")
]


def test_all_approved_in_every_language_passes():
    r = judge.templates_approved(IN_USE, api_templates(), P, PH)
    assert r.status is Status.PASS and r.observed["segments_affected"] == []


def test_paused_template_names_language_and_segment():
    paused = {"status": "PAUSED", "quality_score": {"score": "RED", "date": 1764115200}}
    api = [
        t | paused if (t["name"], t["language"]) == ("daily_brief_seg2", "en") else t for t in api_templates()
    ]
    r = judge.templates_approved(IN_USE, api, P, PH)
    assert r.status is Status.FAIL and r.message == "daily_brief_seg2 (en): PAUSED"
    assert r.observed["failing_templates"] == ["daily_brief_seg2"] and r.observed["segments_affected"] == [2]


def test_rejected_only_in_hindi_and_red_quality():
    api = fixture("graph_message_templates.json")["data"]
    for t in api:
        if t["name"] == "daily_brief_seg3" and t["language"] == "hi":
            t["status"] = "REJECTED"
        if t["name"] == "daily_brief_seg4":
            t["quality_score"] = {"score": "RED"}
    r = judge.templates_approved(IN_USE, api, P, PH)
    assert r.observed["problems"] == [
        "daily_brief_seg3 (hi): REJECTED",
        "daily_brief_seg4 (en): quality RED",
        "daily_brief_seg4 (hi): quality RED",
    ]
    assert r.observed["segments_affected"] == [3, 4]


def test_a_language_the_waba_lacks_is_not_found():
    r = judge.templates_approved(
        [*IN_USE, {"template_name": "daily_brief_seg1", "language": "ta", "segment": 1}],
        api_templates(),
        P,
        PH,
    )
    assert r.status is Status.FAIL and r.message == "daily_brief_seg1 (ta): not found on the WABA"


# --- preferences loaded ------------------------------------------------------------------------------------------
def test_preferences_cover_every_active_advisor():
    full = {"active": 2000, "missing": 0, "missing_sample": [], "loaded_at": "2026-10-01T05:10:00+05:30"}
    assert judge.preferences_loaded(full, P, PH).status is Status.PASS
    one = judge.preferences_loaded(full | {"missing": 1, "missing_sample": ["ADV00007"]}, P, PH)
    assert one.status is Status.FAIL and one.message.startswith(
        "1 of 2000 active advisors have no preferences"
    )
    assert judge.preferences_loaded(full | {"active": 0}, P, PH).status is Status.FAIL
