"""
### delivery_window_escalations — the escalation follow-up, every minute

The escalation ledger (`delivery_ops.escalations`) holds every escalation and communication step of the
delivery window's incidents with its due time: level 2 after 15 minutes, the CEO 30 minutes after an SLA below
90 %, the board after an hour, advisor delay notices every 15 minutes, SEBI-deadline reminders... The
`delivery_window` DAG ends at 06:30 IST; this DAG keeps going: every
`incident_automation.follow_up_every_minutes` (1) it re-plans the open incidents of the last
`follow_up_lookback_days` delivery dates from what was recorded, **sends the steps that are due while their
incident is unresolved (each at its due time: the run waits for the steps falling due before the next run),
cancels them when it resolves**, and retries every send that failed (a failed send stays
`pending`). Reruns and overlapping runs never send a step twice (ledger and outbox keys, PagerDuty `dedup_key`,
row locks while sending).

Params: `delivery_date` (follow up one date only), `as_of` (judge "due" at this instant instead of now: replays
and tests), `dry_run`, `resolve_incidents` (incident ids to resolve by hand first: their steps not yet due are
cancelled). Nothing resolves by itself: a technical incident when its runbook's success criterion is measured met
from the platform's data, a business incident (an SLA miss) when the day team closes it
(`delivery-window incident close`, or this DAG's `resolve_incidents`), never merely because its messages are out.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task

from delivery_window.callbacks import follow_up_failure_alert
from delivery_window.protocol import get_protocol

P = get_protocol()


@dag(
    dag_id="delivery_window_escalations",
    # Every minute, all day: delayed steps run up to 4 h after the window, SEBI reminders up to 24 h; each run
    # also waits for the steps falling due before the next one, so a step leaves within seconds of its due time.
    schedule=f"*/{P.incident_automation.follow_up_every_minutes} * * * *",
    start_date=pendulum.datetime(P.start_date.year, P.start_date.month, P.start_date.day, tz=P.timezone),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["delivery", "on-call", "escalation"],
    params={
        "delivery_date": Param(None, type=["null", "string"], format="date", description="Only this date."),
        "as_of": Param(
            None,
            type=["null", "string"],
            format="date-time",
            description="Judge due steps at this instant (ISO 8601 with offset) instead of now.",
        ),
        "dry_run": Param(False, type="boolean", description="Record steps as dry_run without sending any."),
        "resolve_incidents": Param(
            [], type="array", items={"type": "string"}, description="Incident ids to resolve by hand first."
        ),
    },
    default_args={
        "owner": "delivery-oncall",
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        "execution_timeout": timedelta(minutes=4),
        "on_failure_callback": follow_up_failure_alert,
    },
)
def delivery_window_escalations():
    @task(
        doc_md="Plan, cancel, send due escalation steps and retry failed sends for every delivery date with an "
        "open incident or an unsent step (`escalation.engine.follow_up`); then, until just before the next run, "
        "wait for each step falling due and send it at its due time."
    )
    def send_due_escalations(**context) -> list[dict]:
        from datetime import date, datetime, timedelta

        from delivery_window.escalation.clock import utcnow
        from delivery_window.escalation.follow_up import follow_up_escalations

        params = context["params"]
        day = date.fromisoformat(params["delivery_date"]) if params.get("delivery_date") else None
        as_of = datetime.fromisoformat(params["as_of"]) if params.get("as_of") else None
        # until just before the next scheduled run: steps falling due meanwhile leave at their due time
        period = timedelta(minutes=P.incident_automation.follow_up_every_minutes)
        return follow_up_escalations(
            day,
            as_of=as_of,
            dry_run=bool(params.get("dry_run")),
            resolve=list(params.get("resolve_incidents") or []),
            until=utcnow() + period - timedelta(seconds=P.incident_automation.follow_up_margin_seconds),
        )

    send_due_escalations()


delivery_window_escalations()
