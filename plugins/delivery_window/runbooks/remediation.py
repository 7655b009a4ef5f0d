"""The remediation watcher's body: say which remediation failed, then fail the run (issue 13).

Airflow calls a DAG run ``success`` when its last tasks succeed, and the report tasks always do; so a runbook
whose success criterion was measured not met, or a remediation step that failed, would leave the run green. The
watcher task (trigger rule ``one_failed`` on every remediation step) runs only then, and fails the run.
"""

from __future__ import annotations

from datetime import date

from delivery_window import store
from delivery_window.masking import masked_logger

log = masked_logger(__name__)


class RemediationFailed(RuntimeError):
    """A remediation of the day failed: the run ends ``failed`` (its reports are written anyway)."""


def failure_summary(runs: list[dict], open_incidents: list[dict]) -> str:
    """One line per failed remediation step and per incident still open (pure)."""
    failed = [f"{r['runbook']}.{r['step']}" for r in runs if r["outcome"] == "failed"]
    still_open = [i["incident_id"] for i in open_incidents]
    return (
        f"remediation failed: {', '.join(failed) or 'a remediation task failed before recording a step'}; "
        f"incidents still open: {', '.join(still_open) or 'none'}"
    )


def fail_run(day: date) -> None:
    """Raise ``RemediationFailed`` naming the failed steps and the incidents still open on ``day``."""
    with store.report_db() as conn:
        message = failure_summary(
            store.runbook_runs(conn, day),
            [i for i in store.open_incidents(conn, day) if i["delivery_date"] == day],
        )
    log.error("%s", message)
    raise RemediationFailed(message)
