"""The DAG's run params: their JSON schemas, and what a task does with them before it starts.

``phases`` selects the protocol phases a manual run executes (the three TaskGroups); ``delivery_date`` replays
a day. Airflow validates a trigger's conf against the schemas here (unknown phase, empty list, bad date, unknown
runbook are rejected before the run exists). What a schema cannot know is today's date, the DAG's start date, and
that a key is not a param at all (Airflow merges unknown conf keys into the params and says nothing: ``dryrun``
would run with ``dry_run=false``), so :func:`gate_task` (every task's ``pre_execute``, set in ``default_args``)
refuses those at run time, and skips the tasks of phases the run did not select. No Airflow import at module
level: the ``delivery-window`` command reads ``PHASES`` and checks the date before it configures Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from delivery_window.masking import masked_logger
from delivery_window.names import did_you_mean

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


class RunParamsError(ValueError):
    """The run's params cannot be run: the operator's conf is wrong, not the platform (no retry, no incident)."""


class FutureDeliveryDate(RunParamsError):
    """``delivery_date`` is after today: there is nothing to replay, and the waits would block until then."""


class DeliveryDateBeforeStart(RunParamsError):
    """``delivery_date`` is before the DAG's start date: no run of the package ever watched that day."""


class UnknownParam(RunParamsError):
    """A conf key that is no param of the DAG (a typo: Airflow would run with the param's default)."""


class NoDeliveryAttempts(RunParamsError):
    """An evaluation of a day with no ``platform.delivery_attempts``: it would report SLA 0.00 % of 0/0 and act."""


# (schema, day) -> whether the day has attempts: asked once per process, not by each of an evaluation's 76 tasks
_DAYS_WITH_DATA: dict[tuple[str, date], bool] = {}


def refuse_a_day_without_data(day: date, schema: str, has_attempts) -> None:
    """Raise :class:`NoDeliveryAttempts` when an evaluation's day has no attempts (``has_attempts()`` asks the
    database). The record is never refused: at 05:30 the day's attempts do not exist yet."""
    key = (schema, day)
    if key not in _DAYS_WITH_DATA:
        _DAYS_WITH_DATA[key] = bool(has_attempts())
    if not _DAYS_WITH_DATA[key]:
        raise NoDeliveryAttempts(
            f"no delivery attempts recorded for {day.isoformat()}: an evaluation of a day without data is "
            "refused before any action (import the day first: delivery-window import)"
        )


def unknown_params(keys: Iterable[str], known: Iterable[str]) -> str | None:
    """Why the conf keys ``keys`` are refused (each unknown one with the nearest of the ``known`` params), or
    None: all known."""
    known = list(known)
    unknown = [key for key in dict.fromkeys(keys) if key not in known]
    if not unknown:
        return None
    return "; ".join(f"unknown param {key}: {did_you_mean(key, known)}" for key in unknown)


def check_conf_keys(keys: Iterable[str], known: Iterable[str]) -> None:
    """Raise :class:`UnknownParam` when a conf key is not one of ``known`` (the DAG's params)."""
    reason = unknown_params(keys, known)
    if reason:
        raise UnknownParam(reason)


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


def check_delivery_date(value: str | date | None, today: date, first: date) -> date | None:
    """The ``delivery_date`` param as a date; raises :class:`FutureDeliveryDate` when it is after ``today``,
    :class:`DeliveryDateBeforeStart` when it is before ``first`` (the DAG's start date)."""
    if not value:
        return None
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    if day > today:
        raise FutureDeliveryDate(
            f"delivery_date {day.isoformat()} is in the future (today is {today.isoformat()} in "
            f"Asia/Kolkata): a replay needs today's date or an earlier one; leave delivery_date empty to run "
            "the run's own date"
        )
    if day < first:
        raise DeliveryDateBeforeStart(
            f"delivery_date {day.isoformat()} is before the DAG's start date {first.isoformat()} "
            "(protocol.yaml start_date): no run ever watched that day, so there is nothing to replay"
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
    return isinstance(getattr(exc, "__cause__", None), RunParamsError)


def check_run_params(context) -> None:
    """Raise :class:`RunParamsError` for a run whose conf cannot be run: a key that is no param of the DAG (checked
    first: ``deliverydate`` would otherwise run the run's own date), a future ``delivery_date``, or one before the
    DAG's start date."""
    from delivery_window.protocol import get_protocol
    from delivery_window.window import tz

    params = context.get("params") or {}
    conf = getattr(context.get("dag_run"), "conf", None) or {}
    # The DAG's own params are the valid names (no second list to keep in step). Airflow merged the run's conf
    # into the params; the conf itself is checked too, in case it did not (dag_run_conf_overrides_params off).
    check_conf_keys([*params, *conf], context["dag"].params)
    check_delivery_date(params.get("delivery_date"), context_today(tz()), get_protocol().start_date)


def gate_task(context) -> None:
    """``pre_execute`` of every task: fail a run whose conf cannot be run (an unknown key, a delivery_date in the
    future or before the start date) precisely (AirflowFailException: no retry, the conf will not get better),
    skip the task of a phase the run did not select."""
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    params = context.get("params") or {}
    task_id = context["ti"].task_id
    try:
        check_run_params(context)
    except RunParamsError as exc:
        raise AirflowFailException(str(exc)) from exc
    reason = skip_reason(task_id, selected_phases(params))
    if reason:
        log.info("skipped: %s", reason)
        raise AirflowSkipException(reason)
    run = enter_scope(context)
    if not run.is_record:
        from delivery_window import store
        from delivery_window.window import context_day

        day = context_day()

        def has_attempts() -> bool:
            with store.report_db() as conn:
                return store.has_delivery_attempts(conn, day)

        try:
            refuse_a_day_without_data(day, run.schema, has_attempts)
        except RunParamsError as exc:
            raise AirflowFailException(str(exc)) from exc


def enter_scope(context):
    """Point the task's reads and writes at the day's record or at its run's evaluation (``scope``); return it."""
    from delivery_window import scope

    run = scope.scope_of_run(context)
    scope.enter(run)
    if not run.is_record:
        log.info(
            "evaluation %s: writes %s beside the record, %s",
            run.evaluation_id,
            run.schema,
            "sends only what the record never sent" if run.send else "sends nothing",
        )
    return run


def context_today(zone) -> date:
    """Today's date in ``zone`` (validation only; data keys never come from the wall clock)."""
    from datetime import datetime

    return datetime.now(zone).date()
