"""SEBI content compliance (issue 14), pure parts: the verdicts judged, the findings, the documents."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from delivery_window.compliance.documents import ComplianceCase, Recipients, render
from delivery_window.compliance.verdicts import CHECK_NAME, judge, judge_recorded
from delivery_window.protocol import get_protocol
from delivery_window.records import Status
from delivery_window.reports.findings import collect

P = get_protocol()
IST = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 4, 30)
ITEMS = [
    {"content_id": f"20260430-s{s}-{k}", "segment": s, "template_name": f"daily_brief_seg{s}"}
    for s in (1, 2)
    for k in ("brief", "chart")
]


def verdict(cid: str, v: str = "compliant", rules=(), message: str = "ok") -> dict:
    return {"content_id": cid, "verdict": v, "rule_ids": list(rules), "message": message}


def test_all_compliant_passes_and_a_violation_fails_naming_the_item_and_rules():
    ok = judge(ITEMS, [verdict(i["content_id"]) for i in ITEMS])
    assert ok.status == Status.PASS and ok.observed["compliant"] == 4 and not ok.observed["violations"]
    verdicts = [verdict(i["content_id"]) for i in ITEMS]
    verdicts[2] = verdict("20260430-s2-brief", "violation", ["R5", "R6"], "R5: Assured return (Guaranteed)")
    bad = judge(ITEMS, verdicts)
    assert bad.status == Status.FAIL
    assert "1 of 4 content items violate SEBI rules: 20260430-s2-brief (R5, R6)" in bad.message
    assert bad.observed["violations"] == [
        {"content_id": "20260430-s2-brief", "segment": 2, "template_name": "daily_brief_seg2",
         "rule_ids": ["R5", "R6"], "message": "R5: Assured return (Guaranteed)"}
    ]  # fmt: skip


def test_an_item_without_a_verdict_is_an_error_and_an_immediate_fix_finding():
    verdicts = [verdict(i["content_id"]) for i in ITEMS[:3]]  # the engine left the last item out
    verdicts[1] = verdict("20260430-s1-chart", "error", message="text extraction timed out")
    result = judge(ITEMS, verdicts)
    assert result.status == Status.ERROR
    assert [e["content_id"] for e in result.observed["errors"]] == ["20260430-s1-chart", "20260430-s2-chart"]
    assert "text extraction timed out" in result.message and "no verdict returned" in result.message
    row = {"check_name": CHECK_NAME, "status": str(result.status), "message": result.message}
    findings = collect(
        checks=[row], alerts=[], dq=[], advisor_summary={}, open_incidents=[], window_run=None, protocol=P
    )
    assert [(f.priority, f.item, f.kind) for f in findings] == [
        (
            "immediate_fix_required",
            "compliance_engine_errors_affecting_future_content",
            "compliance_check_failed",
        )
    ]


def test_an_evaluation_rejudges_the_recorded_answer_the_same_way():
    verdicts = [verdict(i["content_id"]) for i in ITEMS]
    verdicts[0] = verdict(ITEMS[0]["content_id"], "violation", ["R2"], "R2: warning missing")
    live = judge(ITEMS, verdicts)
    again = judge_recorded({"items": ITEMS, "verdicts": verdicts})
    assert (again.status, again.message, again.observed) == (live.status, live.message, live.observed)
    assert judge([], []).status == Status.PASS


def case(filing=None) -> ComplianceCase:
    at = datetime(2026, 4, 30, 5, 30, tzinfo=IST)
    return ComplianceCase(
        incident_id=f"{DAY}:compliance_sebi_violation",
        delivery_date=DAY,
        severity="critical",
        status="open",
        detected_at=at,
        deadline=at + timedelta(hours=24),
        violations=({"content_id": "20260430-s2-brief", "segment": 2, "template_name": "daily_brief_seg2",
                     "rule_ids": ["R5"], "message": "R5: Assured or risk-free return language (Guaranteed)"},),
        recipients=(Recipients("20260430-s2-brief", 2, "daily_brief_seg2", 3, ("ADV00002", "ADV00006"),
                               at + timedelta(minutes=31), at + timedelta(minutes=34)),),
        actions=({"due_at": at, "sent_at": at, "target": "legal_counsel", "channel": "slack:#executive-alerts",
                  "action": "notify", "source": "business:compliance_sebi_violation:0", "status": "sent"},),
        filing=filing,
        fallbacks={2: "daily_brief_fallback_seg2"},
    )  # fmt: skip


def test_the_documents_say_what_when_which_content_who_received_it_and_what_was_done():
    docs = render(case(), P)
    report, plan = docs["incident_report"], docs["remediation_plan"]
    assert "`20260430-s2-brief` | 2 | `daily_brief_seg2` | R5 |" in report  # what, which content
    assert "detected: 2026-04-30 05:30 IST" in report  # when
    assert "**not recorded yet**, due by 2026-05-01 05:30 IST if required" in report
    assert "delivered to **2 advisors** of 3 attempted" in report and "ADV00002, ADV00006" in report
    assert (
        "| legal_counsel | slack:#executive-alerts | notify (business:compliance_sebi_violation:0) | sent |"
        in report
    )
    assert "Withdraw `20260430-s2-brief`" in plan and "daily_brief_fallback_seg2" in plan
    assert "Send a correction to the 2 advisor(s) of segment 2" in plan
    assert "Owners: Legal Counsel, Compliance Officer." in plan
    assert render(case(), P) == docs  # the same record, the same text (no version bump on a rerun)
    filed = {"at": "2026-05-01T04:10:00+05:30", "outcome": "filed", "by": "Meera", "reference": "SEBI/IA/17"}
    after = render(case(filed), P)
    assert (
        "filed with SEBI at 2026-05-01 04:10 IST by Meera, reference `SEBI/IA/17`" in after["incident_report"]
    )
    assert (
        "not recorded yet" not in after["remediation_plan"]
        and "after the deadline" not in after["remediation_plan"]
    )
    assert "compliance notified --incident" in docs["remediation_plan"]
    assert "compliance notified --incident" not in after["remediation_plan"]
    late = render(case({**filed, "at": "2026-05-01T07:00:00+05:30"}), P)["incident_report"]
    assert "(due by 2026-05-01 05:30 IST if required, **after the deadline**)" in late
