"""``activate_runbook``: each runbook's watch from 06:00, beside the monitor (DAG wiring of ``runbooks.watch``).

The task defers to ``RunbookWatchTrigger`` on the triggerer (no worker slot), which looks every
``incident_automation.runbook_watch_seconds`` for the runbook's open incident or this run's post-window choice
(and, live, fires at the window's close so the task looks once more). Under ``dag.test()``, which runs one task at
a time in-process, the task is rescheduled instead, so the monitor and the choice get their turn.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import BaseOperator
from airflow.triggers.base import BaseTrigger, TriggerEvent

from delivery_window.runbooks.watch import IN_PROCESS_ENV

CHOSEN_RUNBOOKS = "chosen_runbooks"  # XCom key of choose_runbook: the runbook names it chose, in order
WATCH_TIMEOUT = timedelta(hours=2)  # a deferral lasts at most this (the DAG's waits have the same bound)


class RunbookWatchTrigger(BaseTrigger):
    """Fires when the runbook's incident is open, this run's choice is made (recorded at or after ``since``),
    or the window closes (``until``)."""

    def __init__(
        self,
        runbook: str,
        day: str,
        since: str,
        until: str,
        poll_seconds: float,
        schema: str = "delivery_ops",
    ):
        super().__init__()
        self.runbook, self.day, self.since, self.until = runbook, day, since, until
        self.poll_seconds = poll_seconds
        self.schema = schema  # the run's copy of the day: the record, or an evaluation's schema (``scope``)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "runbook": self.runbook,
                "day": self.day,
                "since": self.since,
                "until": self.until,
                "poll_seconds": self.poll_seconds,
                "schema": self.schema,
            },
        )

    async def run(self):
        from datetime import date

        from asgiref.sync import sync_to_async

        from delivery_window.runbooks.run import watch_poll

        poll = sync_to_async(watch_poll)
        day, since, until = (
            date.fromisoformat(self.day),
            datetime.fromisoformat(self.since),
            datetime.fromisoformat(self.until),
        )
        while True:
            seen = await poll(self.runbook, day, since, self.schema)
            if seen["incident_opened_at"] is not None or seen["decided"]:
                yield TriggerEvent({"seen": "incident" if seen["incident_opened_at"] else "choice"})
                return
            if datetime.now(UTC) >= until:
                yield TriggerEvent({"seen": "window_closed"})
                return
            await asyncio.sleep(self.poll_seconds)


class RunbookWatchOperator(BaseOperator):
    """Start runbook ``runbook`` when its incident opens in the window, or after it if ``choose_runbook`` names
    it; skip when neither (see ``runbooks.watch``)."""

    template_fields = ()

    def __init__(self, *, runbook: str, chooser_id: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.runbook, self.chooser_id = runbook, chooser_id

    def execute(self, context):
        return self._look(context)

    def execute_complete(self, context, event: dict[str, Any] | None = None):
        from delivery_window.run_params import enter_scope

        enter_scope(
            context
        )  # resumed after the triggerer, maybe on another worker: the run's copy of the day
        return self._look(context)

    def _look(self, context):
        from airflow.sdk.exceptions import AirflowRescheduleException, AirflowSkipException

        from delivery_window import scope, window
        from delivery_window.escalation.clock import is_live, utcnow
        from delivery_window.protocol import get_protocol
        from delivery_window.runbooks import run

        p = get_protocol()
        day = window.context_day()
        chosen = context["ti"].xcom_pull(task_ids=self.chooser_id, key=CHOSEN_RUNBOOKS)
        watch = run.watch_runbook(self.runbook, day, chosen)
        self.log.info("runbook %s watch: %s (%s)", self.runbook, watch.action, watch.reason)
        if watch.action == "activate":
            dry_run = bool(context["params"].get("dry_run"))
            return run.activate_runbook(self.runbook, day, dry_run=dry_run, how=watch.how, at=watch.at)
        if watch.action == "skip":
            raise AirflowSkipException(watch.reason)
        if os.environ.get(IN_PROCESS_ENV):
            # dag.test(): in-process, one task at a time; look again once the monitor and the choice have run
            raise AirflowRescheduleException(reschedule_date=datetime.now(UTC))
        # a scheduler: wait on the triggerer (no worker slot) for the incident, the choice, or the window's close;
        # never a reschedule, whose immediate retry races the executor's event on a busy LocalExecutor
        now, close = utcnow(), window.close(day, p)
        until = close if is_live(day, now, p.timezone) and now < close else now + WATCH_TIMEOUT
        self.defer(
            trigger=RunbookWatchTrigger(
                self.runbook,
                day.isoformat(),
                since=(context["ti"].start_date or now).isoformat(),
                until=until.isoformat(),
                poll_seconds=float(p.incident_automation.runbook_watch_seconds),
                schema=scope.current().schema,
            ),
            method_name="execute_complete",
            timeout=WATCH_TIMEOUT,
        )
