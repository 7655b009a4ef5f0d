"""The 06:05 SLA checkpoint task, and the one writer of every post-delivery checkpoint item.

``checkpoint`` holds the pure judgements; this module fetches what they judge, records the day's
``window_runs`` row and writes each protocol item (06:05, 06:15, 06:30) as a ``check_results`` row.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from delivery_window import scope, store, window
from delivery_window.escalation import engine
from delivery_window.escalation.clock import engine_now, utcnow
from delivery_window.masking import masked_logger
from delivery_window.protocol import get_protocol
from delivery_window.records import CheckResult, Status
from delivery_window.source_contract import dq_result, left_out_text

log = masked_logger(__name__)
CRITICAL_SEVERITIES = frozenset({"severity_1", "immediate_page"})


def verify_sla_checkpoint(day: date, run_id: str | None, dry_run: bool = False) -> dict[str, Any]:
    """06:05: SLA, advisor groups processed, zero critical failures, quality rating maintained.

    The SLA row goes to ``window_runs``; each of the four protocol items is a ``check_results`` row. Then the
    escalation engine applies the business matrix to the measured SLA (``engine.on_sla_measured``): its
    immediate steps (< 95 %: engineering manager; < 90 %: CTO) are planned and sent inside this run, the later
    ones by the follow-up DAG.
    """
    from delivery_window import checkpoint as cp
    from delivery_window.checks.probes import as_recorded, probe_sender_numbers

    p = get_protocol()
    as_of = window.close(day, p)
    with store.report_db() as conn:
        targeted, _ = store.active_advisors(conn)
        alerts = store.alerts(conn, day)
        critical = [a for a in alerts if a["severity"] in CRITICAL_SEVERITIES]
        row = cp.sla_checkpoint(day, store.attempts(conn, day), targeted, len(critical), as_of, p)
        row.update(run_id=run_id, mode="replay" if utcnow() >= as_of else "live")
        store.record_window_run(conn, row)
        # the rows the SLA left out, beside it: a finding when there are any, a passing row when none
        store.record_dq_result(conn, day, dq_result(row["source_rows"]), utcnow())
        conn.commit()
        if row["rows_left_out"]:
            log.warning("%s", left_out_text(row["source_rows"]))
        before = next(
            (c for c in store.check_results(conn, day) if c["check_name"] == "check_sender_quality"), None
        )
    quality_item = "check_whatsapp_quality_rating_maintained"
    try:
        if scope.current().is_record:
            numbers = as_recorded(probe_sender_numbers(day, p))
        else:  # an evaluation judges what the record's 06:05 probe saw, never today's WhatsApp
            with store.report_db() as conn:
                numbers = (store.recorded_observation(conn, day, quality_item) or {}).get("probe_observed")
        if numbers is None:
            quality = CheckResult(
                quality_item,
                cp.PHASE_0605,
                Status.NOT_OBSERVED,
                f"not observed: the record of {day} has no 06:05 probe",
            )
        else:
            quality = replace(
                cp.quality_rating_maintained(
                    (before or {}).get("observed", {}).get("numbers") if before else None, numbers, p
                ),
                probe_observed=numbers,
            )
    except Exception as exc:  # the WhatsApp API could not be asked: recorded, the checkpoint goes on
        quality = CheckResult(
            "check_whatsapp_quality_rating_maintained",
            cp.PHASE_0605,
            Status.ERROR,
            f"{type(exc).__name__}: {exc}",
        )
    items = [
        cp.sla_achieved(row),
        cp.advisor_groups_processed(row),
        cp.zero_critical_failures(critical),
        quality,
    ]
    record_items(day, items)
    log.info("SLA %.3f%% (target %s%%): %s", row["sla_pct"], p.sla.target_pct, row["status"])
    at = engine_now(day, as_of, p.timezone)
    with store.report_db() as conn:  # issue 14: the account's restrictions as WhatsApp reports them at 06:05
        from delivery_window import account_health

        account_health.look(conn, day, account_health.CHECKPOINT, at, p, ask=True)
    with store.report_db() as conn:  # after the 06:05 quality item: the matrix reads it too
        matrix = engine.on_sla_measured(conn, day, float(row["sla_pct"]), at, p, dry_run=dry_run)
    log.info("business matrix at %s: %s", at.isoformat(), matrix.as_dict())
    out = {k: str(v) if isinstance(v, (date, datetime)) else v for k, v in row.items()}
    # "alerts": every alert of the day (the run note on the grid says it: ui/run_notes.py)
    return {**out, "alerts": len(alerts), "checkpoint": {c.check_name: str(c.status) for c in items}}


def record_items(day: date, items: list[CheckResult]) -> None:
    """Record checkpoint items (06:05, 06:15, 06:30) as ``check_results`` rows and log each verdict."""
    with store.report_db() as conn:
        for item in items:
            store.record_check(conn, day, item, utcnow())
            log.info("%s: %s — %s", item.check_name, item.status, item.message)
