"""How the sandbox's stand-ins put a scenario's bad state on the names a day's data uses (pure, no database)."""

from __future__ import annotations

from delivery_window.sandbox.scenarios import SENDER_NUMBERS
from delivery_window.sandbox.services.common import ServiceState
from delivery_window.sandbox.services.platform_day import PlatformDay, phone_numbers, templates

GENERATED_TEMPLATES = [
    ("primary", s, lang, f"daily_brief_seg{s}") for s in (1, 2, 3, 4) for lang in ("en", "hi")
] + [("fallback", s, lang, f"daily_brief_fallback_seg{s}") for s in (1, 2, 3, 4) for lang in ("en", "hi")]
GENERATED_NUMBERS = [(n.phone_number_id, n.display_phone_number, n.shard) for n in SENDER_NUMBERS]


def day(numbers=GENERATED_NUMBERS, tpls=GENERATED_TEMPLATES) -> PlatformDay:
    return PlatformDay(advisors={1: 500, 2: 500, 3: 500, 4: 500}, numbers=list(numbers), templates=list(tpls))


def by_name(st: ServiceState, d: PlatformDay) -> dict[tuple[str, str], dict]:
    return {(t["name"], t["language"]): t for t in templates(st, d)}


def test_a_generated_day_is_the_scenarios_own_world():
    for scenario in ("healthy", "template_paused", "template_rejected", "shard_red", "waba_blocked"):
        st = ServiceState(scenario=scenario)
        assert templates(st, day()) == st.info["templates"], scenario
        assert phone_numbers(st, day()) == st.info["phone_numbers"], scenario


def test_no_data_or_empty_tables_leave_the_scenarios_answers():
    st = ServiceState(scenario="shard_red")
    assert phone_numbers(st, None) == st.info["phone_numbers"]
    assert templates(st, None) == st.info["templates"]
    assert phone_numbers(st, day(numbers=[])) == st.info["phone_numbers"]
    assert templates(st, day(tpls=[])) == st.info["templates"]


def test_one_template_for_every_segment_takes_the_worst_state_of_its_slots():
    # an imported day may send every segment with one template: pausing segment 2's pauses it
    shared = [("primary", s, lang, "daily_brief") for s in (1, 2, 3, 4) for lang in ("en", "hi")]
    healthy = by_name(ServiceState(scenario="healthy"), day(tpls=shared))
    paused = by_name(ServiceState(scenario="template_paused"), day(tpls=shared))
    rejected = by_name(ServiceState(scenario="template_rejected"), day(tpls=shared))
    assert healthy[("daily_brief", "en")]["status"] == healthy[("daily_brief", "hi")]["status"] == "APPROVED"
    assert paused[("daily_brief", "en")]["status"] == paused[("daily_brief", "hi")]["status"] == "PAUSED"
    assert paused[("daily_brief", "en")]["quality_score"]["score"] == "RED"
    assert (rejected[("daily_brief", "en")]["status"], rejected[("daily_brief", "hi")]["status"]) == (
        "APPROVED",
        "REJECTED",
    )


def test_a_catalogue_template_in_another_slot_takes_that_slots_state():
    # segment 2 sent with segment 1's template: the scenario that pauses segment 2's template pauses it
    moved = [
        (k, s, lang, "daily_brief_seg1" if (k, s) == ("primary", 2) else n)
        for k, s, lang, n in GENERATED_TEMPLATES
    ]
    got = by_name(ServiceState(scenario="template_paused"), day(tpls=moved))
    assert got[("daily_brief_seg1", "en")]["status"] == "PAUSED"
    assert (
        got[("daily_brief_seg1", "en")]["id"]
        == by_name(ServiceState(), day())[("daily_brief_seg1", "en")]["id"]
    )


def test_data_only_templates_get_stable_distinct_numeric_ids():
    extra = GENERATED_TEMPLATES + [("primary", 1, "ta", "brief_ta"), ("fallback", 1, "ta", "fallback_ta")]
    first = by_name(ServiceState(), day(tpls=extra))
    again = by_name(ServiceState(scenario="shard_red"), day(tpls=extra))
    ids = [t["id"] for t in first.values()]
    assert len(set(ids)) == len(ids) and all(i.isdigit() for i in ids)
    assert first[("brief_ta", "ta")]["id"] == again[("brief_ta", "ta")]["id"]
    assert (
        first[("brief_ta", "ta")]["status"] == "APPROVED" and first[("brief_ta", "ta")]["kind"] == "primary"
    )


def test_numbers_take_the_state_of_the_scenarios_number_on_their_shard():
    renamed = [("2000000001", "+91 1", 4), ("2000000002", "+91 2", 7)]
    got = {n["id"]: n for n in phone_numbers(ServiceState(scenario="shard_red"), day(numbers=renamed))}
    assert got["2000000001"]["quality_rating"] == "RED" and got["2000000001"]["shard"] == 4
    assert got["2000000001"]["display_phone_number"] == "+91 1"
    assert got["2000000002"]["quality_rating"] == "GREEN"  # no shard 7 in the scenario: the healthy shape
    assert got["2000000002"]["status"] == "CONNECTED" and got["2000000002"]["can_send_message"] == "AVAILABLE"
