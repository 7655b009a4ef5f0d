"""
### delivery_window — the 05:30–06:30 IST on-call window, executable

Runs the on-call protocol (`include/protocol.yaml`, from `docs/protocol/oncall-protocol.md`) every day at
05:30 Asia/Kolkata:

| phase | when (IST) | what |
|---|---|---|
| `pre_delivery` | 05:30 | health verification checks, then the **05:45 final systems check** |
| `delivery` | 06:00–06:05 | window monitor (metrics every tick, alert rules, pages), `choose_runbook` branch, remediation |
| `post_delivery` | 06:05 / 06:15 / 06:30 | SLA checkpoint, advisor issues, daily report + Slack summary |

Every result lands in the `delivery_ops` schema (Postgres, connection `delivery_db`). A failing check never
stops the day; the run always goes on to its report. Manual runs: set `delivery_date` to replay a past day
(waits pass at once), `dry_run` to record messages without sending them.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import Param, TaskGroup, dag, task

from delivery_window import tasks
from delivery_window.callbacks import task_failure_alert
from delivery_window.checks.probes import CHECKS
from delivery_window.protocol import get_protocol
from delivery_window.window import context_day, window_at

P = get_protocol()
RUNBOOKS = list(P.runbooks)


def wait_until(name: str) -> DateTimeSensorAsync:
    """Deferrable wait for the protocol time ``times.<name>`` on the run's delivery date."""
    hhmm = P.times.model_dump()[name]
    return DateTimeSensorAsync(
        task_id=f"wait_until_{hhmm.replace(':', '')}",
        target_time=f"{{{{ window_at(dag_run.run_after, params.delivery_date, '{name}') }}}}",
        timeout=timedelta(hours=2),
        trigger_rule="all_done",
        doc_md=f"Wait (deferred, no worker slot) until {hhmm} IST on the delivery date; a replay passes at once.",
    )


def check_task(name: str):
    """One protocol check as its own task: probe → judge → ``delivery_ops.check_results``."""
    spec = CHECKS[name]

    @task(
        task_id=name, doc_md=f"**{spec.protocol_line}**\n\n{spec.judge.__doc__}\n\nRecords `check_results`."
    )
    def run() -> dict:
        return tasks.record_check(name, context_day())

    return run()


@dag(
    dag_id="delivery_window",
    # 05:30 IST: the protocol's pre-delivery phase starts 30 minutes before the 06:00 send.
    schedule=P.schedule_cron,
    start_date=pendulum.datetime(2026, 1, 1, tz=P.timezone),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["delivery", "on-call", "whatsapp"],
    user_defined_macros={"window_at": window_at},
    params={
        "delivery_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Replay this delivery date (YYYY-MM-DD) instead of the run's own date.",
        ),
        "dry_run": Param(False, type="boolean", description="Record notifications without sending any."),
    },
    default_args={
        "owner": "delivery-oncall",
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        "execution_timeout": timedelta(minutes=10),
        "on_failure_callback": task_failure_alert,
    },
)
def delivery_window():
    with TaskGroup("pre_delivery", tooltip="05:30 health verification and 05:45 final systems check") as pre:
        migrate = task(
            task_id="migrate_report_schema",
            doc_md="Apply pending `sql/migrations` to `delivery_ops` (idempotent, advisory-locked).",
        )(tasks.migrate_report_schema)()
        with TaskGroup("infrastructure"):
            infra = [check_task("check_database_pool"), check_task("check_redis_cache")]
        with TaskGroup("content_pipeline"):
            content = [check_task("check_templates_approved")]
        with TaskGroup("final_check", tooltip="05:45 final systems check"):
            wait_0545 = wait_until("final_check")
            wait_0545 >> check_task("check_sender_quality")
        migrate >> [*infra, *content, wait_0545]

    with TaskGroup("delivery", tooltip="06:00–06:05 window monitor and remediation") as delivery:
        wait_0600 = wait_until("delivery_start")

        @task(
            execution_timeout=timedelta(minutes=30),
            doc_md="Every tick from 06:00 to 06:05 + grace: the four primary metrics per scope → `metric_ticks`; "
            "alert rules → `alerts`; first firings page PagerDuty and post to #delivery-war-room at once.",
        )
        def monitor_window(**context) -> dict:
            return tasks.monitor_window(context_day(), dry_run=context["params"]["dry_run"])

        @task.branch(
            doc_md="Pick the remediation runbook from the recorded alerts and checks (pure rule, "
            "`runbooks/choice.py`); the decision and its reasons go to `decisions`."
        )
        def choose_runbook() -> str:
            return f"delivery.remediation.{_runbook_task(tasks.choose_runbook(context_day()))}"

        chosen = choose_runbook()
        wait_0600 >> monitor_window() >> chosen
        with TaskGroup("remediation"):
            branches = []
            for name in RUNBOOKS:

                @task(
                    task_id=_runbook_task(name),
                    execution_timeout=timedelta(minutes=P.runbooks[name].estimated_resolution_minutes.max),
                    doc_md=f"Runbook **{name}** ({P.runbooks[name].runbook}): {P.runbooks[name].title}. "
                    f"Success: {P.runbooks[name].success_criterion}. Human runbook: `{P.runbooks[name].doc}`.",
                )
                def run_runbook(name: str = name) -> dict:
                    return tasks.run_runbook(name, context_day())

                branches.append(run_runbook())
            branches.append(
                EmptyOperator(task_id="no_incident", doc_md="No alert fired and no check failed.")
            )
            remediation_done = EmptyOperator(
                task_id="remediation_done",
                trigger_rule="none_failed_min_one_success",
                doc_md="Join after the branch: whichever runbook ran (or none).",
            )
            chosen >> branches >> remediation_done

    with TaskGroup("post_delivery", tooltip="06:05, 06:15 and 06:30 checkpoints") as post:

        @task(doc_md="06:05: 99% SLA, all advisor groups processed, critical failures → `window_runs`.")
        def verify_sla_checkpoint(**context) -> dict:
            return tasks.verify_sla_checkpoint(context_day(), context["run_id"])

        @task(doc_md="06:15: advisors without a delivered message and their last error → `advisor_issues`.")
        def identify_advisor_issues() -> int:
            return tasks.identify_advisor_issues(context_day())

        @task(trigger_rule="all_done", doc_md="06:30: daily report row + text and handoff sections.")
        def generate_daily_report() -> str:
            return tasks.generate_daily_report(context_day())

        @task(doc_md="Post the report to #delivery-ops once; retry any notification still pending.")
        def post_daily_summary(**context) -> dict:
            return tasks.post_daily_summary(context_day(), dry_run=context["params"]["dry_run"])

        checkpoint = wait_until("delivery_end") >> verify_sla_checkpoint()
        issues = wait_until("analytics_checkpoint") >> identify_advisor_issues()
        report = wait_until("final_report") >> generate_daily_report()
        checkpoint >> issues >> report >> post_daily_summary()

    pre >> delivery >> post


def _runbook_task(choice: str) -> str:
    return "no_incident" if choice == "no_incident" else f"run_{choice}"


delivery_window()
