"""Task callbacks: every failure feeds the escalation engine. Notifiers are built per call (a shared instance is
mutated when it renders).

``task_failure_alert`` (``default_args.on_failure_callback``, so every task has it) records the failure as an
incident through ``escalation.engine.on_task_failed``: a failed task of a group in
``incident_automation.critical_task_groups`` becomes a critical incident (PagerDuty page, #delivery-war-room,
#engineering-alerts, then the escalation chain); any other one a major incident (#engineering-alerts); a runbook
step's failure goes on its runbook's incident. If the report database itself cannot be reached, the failure is
posted straight to #engineering-alerts (``escalation.announce.post_without_database``), so it is never silent.
"""

from __future__ import annotations

from delivery_window.masking import mask_phones, masked_logger

log = masked_logger(__name__)


def _day(context):
    from delivery_window.window import delivery_date_for

    return delivery_date_for(context["dag_run"].run_after, (context.get("params") or {}).get("delivery_date"))


def _post_directly(context, text: str) -> None:
    from delivery_window.escalation import announce
    from delivery_window.protocol import get_protocol

    dry_run = bool((context.get("params") or {}).get("dry_run"))
    announce.post_without_database("engineering_alerts", mask_phones(text), get_protocol(), dry_run=dry_run)


def task_failure_alert(context) -> None:
    """A task failed for good: an incident in the escalation engine (or, failing that, a direct Slack post)."""
    from delivery_window.run_params import caused_by_run_params, enter_scope

    ti = context["ti"]
    if caused_by_run_params(context.get("exception")):  # an operator's wrong conf, not an incident
        log.warning("%s failed on the run's params, no incident: %s", ti.task_id, context["exception"])
        return
    dry_run = bool((context.get("params") or {}).get("dry_run"))
    error = mask_phones(f"{type(context.get('exception')).__name__}: {context.get('exception')}")
    try:
        # a callback may run where the task's pre_execute did not (another process): an evaluation's failure is
        # its own, never the record's
        enter_scope(context)
        from delivery_window import store
        from delivery_window.escalation import clock, engine
        from delivery_window.protocol import get_protocol

        p = get_protocol()
        day = _day(context)
        at = clock.engine_now(day, engine.task_instant(day, ti.task_id), p.timezone)
        with store.report_db() as conn:
            engine.on_task_failed(
                conn,
                day,
                ti.task_id,
                error,
                at,
                p,
                try_number=getattr(ti, "try_number", None),
                dry_run=dry_run,
            )
    except Exception as exc:  # the engine is down (often the same cause): never lose the failure
        log.exception("escalation engine unavailable for the failure of %s: %s", ti.task_id, exc)
        _post_directly(
            context,
            f":x: delivery_window task {ti.task_id} failed (try {getattr(ti, 'try_number', '?')}) in run "
            f"{context['dag_run'].run_id}: {error}. The escalation engine could not record it: {exc}",
        )


def follow_up_failure_alert(context) -> None:
    """The escalation follow-up DAG failed: post to #engineering-alerts directly (the engine is what failed)."""
    ti = context["ti"]
    _post_directly(
        context,
        f":x: escalation follow-up {ti.dag_id}.{ti.task_id} failed in run {context['dag_run'].run_id}: "
        f"{context.get('exception')}. Pending escalation steps are not being sent.",
    )
