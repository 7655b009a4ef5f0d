"""The DAG's run params: their JSON schemas, and what a task does with them before it starts.

``phases`` selects the protocol phases a manual run executes (the three TaskGroups); ``delivery_date`` replays
a day. Airflow validates a trigger's conf against the schemas here (unknown phase, empty list, bad date, unknown
runbook are rejected before the run exists). What a schema cannot know is today's date, so :func:`gate_task`
(every task's ``pre_execute``, set in ``default_args``) checks that at run time, and skips the tasks of phases
the run did not select. No Airflow import at module level: the ``delivery-window`` command reads ``PHASES``
before it configures Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from delivery_window.masking import masked_logger

log = masked_logger(__name__)

PHASES = ("pre_delivery", "delivery", "post_delivery")
# Runs whatever phases are selected: every phase writes to delivery_ops, so its schema must exist (idempotent).
ALWAYS_RUN = frozenset({"pre_delivery.migrate_report_schema"})

PHASES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string", "enum": list(PHASES)},
    "minItems": 1,
    "uniqueItems": True,
}
PHASES_DESCRIPTION = (
    "Which protocol phases this run executes: any of pre_delivery (05:30/05:45 checks, go/no-go), delivery "
    "(06:00 monitor, alerts, runbooks), post_delivery (06:05 SLA checkpoint … 06:30 report and handoff). The "
    "tasks of the others are skipped, not failed; the report lists the phases run. Default: all three."
)


class FutureDeliveryDate(ValueError):
    """``delivery_date`` is after today: there is nothing to replay, and the waits would block until then."""


def selected_phases(params: dict[str, Any] | None) -> tuple[str, ...]:
    """The run's phases in protocol order (all three when the param is absent, as in runs before it existed)."""
    chosen = (params or {}).get("phases") or PHASES
    return tuple(p for p in PHASES if p in chosen)


def phase_of(task_id: str) -> str | None:
    """The phase TaskGroup a task belongs to (``delivery.monitor_window`` → ``delivery``), or None."""
    head = task_id.split(".", 1)[0]
    return head if head in PHASES else None


def skip_reason(task_id: str, phases: Iterable[str]) -> str | None:
    """Why ``task_id`` does not run in a run of ``phases`` (None: it runs)."""
    phase, phases = phase_of(task_id), tuple(phases)
    if phase is None or phase in phases or task_id in ALWAYS_RUN:
        return None
    return f"phase {phase} not selected for this run (param phases = {', '.join(phases)})"


def check_delivery_date(value: str | date | None, today: date) -> date | None:
    """The ``delivery_date`` param as a date; raises :class:`FutureDeliveryDate` when it is after ``today``."""
    if not value:
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    if day > today:
        raise FutureDeliveryDate(
            f"delivery_date {day.isoformat()} is in the future (today is {today.isoformat()} in "
            f"Asia/Kolkata): a replay needs today's date or an earlier one; leave delivery_date empty to run "
            "the run's own date"
        )
    return day


def phases_note(phases: Iterable[str]) -> str:
    """What the report says about the phases this run executed (rows of the others are from earlier runs)."""
    phases = tuple(phases)
    missing = [p for p in PHASES if p not in phases]
    if not missing:
        return ", ".join(phases)
    return (
        f"{', '.join(phases)} only; not run in this run: {', '.join(missing)} "
        "(their rows, if any, are from an earlier run of the day)"
    )


def caused_by_run_params(exc: BaseException | None) -> bool:
    """True for a task failure raised by :func:`gate_task` on the run's params: an operator's conf, not a
    platform failure (the failure callback opens no incident for it)."""
    return isinstance(getattr(exc, "__cause__", None), FutureDeliveryDate)


def gate_task(context) -> None:
    """``pre_execute`` of every task: fail a future ``delivery_date`` precisely (AirflowFailException: no retry,
    the conf will not get better), skip the task of a phase the run did not select."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    from delivery_window.window import tz

    params = context.get("params") or {}
    task_id = context["ti"].task_id
    try:
        check_delivery_date(params.get("delivery_date"), context_today(tz()))
    except FutureDeliveryDate as exc:
        raise AirflowFailException(str(exc)) from exc
    reason = skip_reason(task_id, selected_phases(params))
    if reason:
        log.info("skipped: %s", reason)
        raise AirflowSkipException(reason)


def context_today(zone) -> date:
    """Today's date in ``zone`` (validation only; data keys never come from the wall clock)."""
    from datetime import datetime

    return datetime.now(zone).date()
