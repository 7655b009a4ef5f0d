"""The compliance incident's documents, stored with the incident (``compliance_documents``) and as files.

``document_compliance_incidents`` is the 06:30 task (after the send: the documents say which advisors received
the flagged content); ``write_documents`` is also called by ``compliance notified`` so the documents say the
filing was recorded. The files go beside the daily report (``reports.assemble.report_dir``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from delivery_window import store
from delivery_window.compliance.documents import ComplianceCase, Recipients, render
from delivery_window.compliance.verdicts import EVENT
from delivery_window.escalation.clock import utcnow
from delivery_window.masking import masked_logger
from delivery_window.protocol import Protocol, get_protocol

log = masked_logger(__name__)
EVENT_STEP = f"event:{EVENT}"


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _entry(row: dict[str, Any], step: str) -> dict[str, Any] | None:
    hits = [e for e in row.get("timeline") or [] if e.get("step") == step]
    return min(hits, key=lambda e: _at(e["at"])) if hits else None


def is_compliance_incident(row: dict[str, Any]) -> bool:
    """An incident row opened by a SEBI violation (its timeline holds the event)."""
    return _entry(row, EVENT_STEP) is not None


def load_case(conn, row: dict[str, Any], p: Protocol) -> ComplianceCase:
    """The case of one compliance incident row, from the record: violations, recipients, ledger, filing."""
    day = row["delivery_date"]
    event = _entry(row, EVENT_STEP) or {}
    detected = _at(event["at"])
    violations = tuple((event.get("details") or {}).get("violations") or [])
    segments = sorted({int(v["segment"]) for v in violations if v.get("segment") is not None})
    recipients = []
    if segments:
        found = {
            (r["segment"], r["template_name"]): r
            for r in store.execute(
                conn, "select_content_recipients", {"delivery_date": day, "segments": segments}
            )
        }
        for v in violations:
            r = found.get((v.get("segment"), v.get("template_name"))) or {}
            recipients.append(
                Recipients(
                    v["content_id"], int(v["segment"]), str(v.get("template_name")), int(r.get("attempted") or 0),
                    tuple(r.get("delivered") or ()), r.get("first_delivered_at"), r.get("last_delivered_at"),
                )
            )  # fmt: skip
    reg = p.external_communication.regulatory_notifications.compliance_incidents
    fallbacks = {
        int(f["segment"]): f["template_name"]
        for f in store.execute(conn, "select_fallback_content", {"delivery_date": day})
        if f["ready"]
    }
    keep = ("due_at", "sent_at", "target", "channel", "action", "source", "status")
    actions = tuple(
        {k: e[k] for k in keep}
        for e in store.escalations(conn, day)
        if e["incident_id"] == row["incident_id"]
    )
    return ComplianceCase(
        incident_id=row["incident_id"],
        delivery_date=day,
        severity=row.get("severity") or "critical",
        status=row.get("status") or "open",
        detected_at=detected,
        deadline=detected + timedelta(minutes=reg.sebi_notification_within_minutes),
        violations=violations,
        recipients=tuple(recipients),
        actions=actions,
        filing=_entry(row, "regulatory_closed"),
        fallbacks=fallbacks,
    )


def file_path(incident_id: str, document: str) -> Path:
    """``<report dir>/<incident id>-<document>.md`` (``:`` as ``-``), beside the daily report."""
    from delivery_window.reports.assemble import report_dir

    return report_dir() / f"{incident_id.replace(':', '-')}-{document.replace('_', '-')}.md"


def write_documents(conn, row: dict[str, Any], p: Protocol) -> dict[str, int]:
    """Render, store (a changed text counts a new version) and write the files; document -> current version."""
    texts = render(load_case(conn, row, p), p)
    now, versions = utcnow(), {}
    for name, text in texts.items():
        store.execute(
            conn,
            "upsert_compliance_document",
            {"incident_id": row["incident_id"], "document": name, "delivery_date": row["delivery_date"],
             "content_md": text, "generated_at": now},
        )  # fmt: skip
        path = file_path(row["incident_id"], name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for r in store.execute(conn, "select_compliance_documents", {"incident_id": row["incident_id"]}):
        versions[r["document"]] = r["version"]
    return versions


def document_compliance_incidents(day: date) -> dict[str, Any]:
    """06:30: the incident report and remediation plan of each compliance incident of the day."""
    p = get_protocol()
    out: dict[str, Any] = {}
    with store.report_db() as conn:
        for row in store.escalation_incidents(conn, day):
            if is_compliance_incident(row):
                out[row["incident_id"]] = write_documents(conn, row, p)
                log.info("compliance documents of %s: %s", row["incident_id"], out[row["incident_id"]])
    return {"delivery_date": day.isoformat(), "documents": out}
