"""Post-delivery task bodies at 06:15 and 06:30: advisor issues, receipts, engagement, data-quality suites.

Each fetches what was recorded, calls a pure judgement (``checkpoint``, ``reports.advisor_issues``) or runs the
Great Expectations suites (imported only when the task runs), and records the items with
``checkpoint_task.record_items``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import store, window
from delivery_window.checkpoint_task import record_items
from delivery_window.escalation.clock import utcnow
from delivery_window.masking import masked_logger
from delivery_window.protocol import get_protocol

log = masked_logger(__name__)


def identify_advisor_issues(day: date) -> int:
    """06:15: advisors who did not get today's content: who, why (error class), retryable → ``advisor_issues``."""
    from delivery_window.checkpoint import advisor_issues_identified
    from delivery_window.reports.advisor_issues import build_issues, summarize

    as_of = window.close(day)
    with store.report_db() as conn:
        issues = build_issues(store.undelivered_advisors(conn, day, as_of))
        store.record_advisor_issues(conn, day, issues)
    record_items(day, [advisor_issues_identified(summarize(issues))])
    return len(issues)


def check_receipt_processing(day: date) -> dict[str, Any]:
    """06:15: delivery-receipt webhooks processed: receipt lag and sends still without a receipt."""
    from delivery_window.checkpoint import receipt_processing
    from delivery_window.window import at

    with store.report_db() as conn:
        obs = store.receipt_processing(conn, day, at(day, "analytics_checkpoint"))
    result = receipt_processing(obs, get_protocol())
    record_items(day, [result])
    return {"status": str(result.status), "message": result.message}


def check_engagement_tracking(day: date) -> dict[str, Any]:
    """06:15: engagement tracking operational: read receipts and engagement events arriving."""
    from delivery_window.checkpoint import engagement_tracking
    from delivery_window.window import at

    with store.report_db() as conn:
        obs = store.engagement_tracking(conn, day, at(day, "analytics_checkpoint"))
    result = engagement_tracking(obs, get_protocol())
    record_items(day, [result])
    return {"status": str(result.status), "message": result.message}


def _run_dq(day: date, checkpoint_at: str) -> list[dict[str, Any]]:
    """Run the suites of a checkpoint with GX on Postgres and record one ``dq_results`` row per suite."""
    from delivery_window.quality.results import could_not_run
    from delivery_window.quality.runner import delivery_db_url, run_suites
    from delivery_window.quality.suites import suite_parameters, suites_at

    names = suites_at(checkpoint_at)
    try:
        results = run_suites(names, day, suite_parameters(day, get_protocol()), delivery_db_url())
    except Exception as exc:  # GX itself failed (import, context): every suite is recorded as not run
        results = [could_not_run(n, exc) for n in names]
    with store.report_db() as conn:
        for r in results:
            store.record_dq_result(conn, day, r, utcnow())
    for r in results:
        log.info(
            "suite %s: %s %s", r["suite"], "passed" if r["success"] else "FAILED", r["failed_expectations"]
        )
    return results


def validate_delivery_analytics(day: date) -> dict[str, Any]:
    """06:15: the delivery analytics summary reviewed: GX suites on the attempts and report rows."""
    from delivery_window.checkpoint import analytics_reviewed
    from delivery_window.quality.suites import suites_at

    results = _run_dq(day, get_protocol().times.analytics_checkpoint)
    record_items(day, [analytics_reviewed(results, suites_at(get_protocol().times.analytics_checkpoint))])
    return {r["suite"]: r["failed_expectations"] for r in results}


def validate_report_rows(day: date) -> dict[str, Any]:
    """06:30: GX suites on the daily report row (one per day, the checkpoint's SLA)."""
    return {r["suite"]: r["failed_expectations"] for r in _run_dq(day, get_protocol().times.final_report)}
