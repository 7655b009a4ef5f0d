"""The task body of every protocol check: probe, judge, record the verdict in ``check_results``."""

from __future__ import annotations

from datetime import date
from typing import Any

from delivery_window import scope, store
from delivery_window.checks.probes import rejudge, run_check
from delivery_window.escalation.clock import utcnow
from delivery_window.masking import masked_logger
from delivery_window.protocol import get_protocol
from delivery_window.records import CheckResult

log = masked_logger(__name__)


def record_check(name: str, day: date) -> dict[str, Any]:
    """Run one protocol check and record its verdict; never raises for a failing dependency.

    The day's record probes the services; an evaluation (a replay) re-judges what the record observed with its
    own protocol.yaml and never probes today's services for a past day (``scope``)."""
    if scope.current().is_record:
        result: CheckResult = run_check(name, day, get_protocol())
    else:
        with store.report_db() as conn:
            recorded = store.recorded_observation(conn, day, name)
        result = rejudge(name, day, recorded, get_protocol())
    with store.report_db() as conn:
        store.record_check(conn, day, result, utcnow())
    log.info("%s: %s — %s", name, result.status, result.message)
    from delivery_window import account_health

    if name in account_health.CHECK_SOURCES:  # issue 14: the probe read the WhatsApp account's fields too
        from delivery_window.escalation.clock import engine_now
        from delivery_window.escalation.engine import task_instant

        p = get_protocol()
        at = engine_now(day, task_instant(day, f"{result.phase}.{name}"), p.timezone)
        with store.report_db() as conn:
            account_health.from_check(conn, day, name, result.probe_observed, at, p)
    return {"check": name, "status": str(result.status), "message": result.message}
