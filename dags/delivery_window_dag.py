"""
### delivery_window — the 05:30–06:30 IST on-call window, executable

Runs the on-call protocol (`include/protocol.yaml`, from `docs/protocol/oncall-protocol.md`) every day at
05:30 Asia/Kolkata:

| phase | when (IST) | what |
|---|---|---|
| `pre_delivery` | 05:30 / 05:45 | 15 health checks in 4 groups, the **05:45 final systems check** (11), `go_no_go` → pre-window remediation |
| `delivery` | 06:00–06:05 | window monitor (metrics every tick, alert rules, pages) and, beside it, each runbook's watch: a runbook starts when the monitor opens its incident; `choose_runbook` after the window starts the rest |
| `post_delivery` | 06:05 / 06:15 / 06:30 | SLA checkpoint, advisor issues, daily report + Slack summary |

Every result lands in the `delivery_ops` schema (Postgres, connection `delivery_db`). A failing check never
stops the day; the run always goes on to its report, and `remediation_watcher` fails the run when a
remediation failed (a success criterion measured not met). The run for its own date writes the day's record;
a run for a past date (`delivery_date`; waits pass at once) or a dry run is an **evaluation** beside it: it
re-judges what the record observed, writes its own schema and sends nothing unless `send` (see README, "The
record and evaluations"). `phases` runs only some phases (the others' tasks are skipped).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.sensors.date_time import DateTimeSensorAsync
from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference, Param, TaskGroup, dag, task

from delivery_window import checkpoint_task
from delivery_window.callbacks import task_failure_alert
from delivery_window.checkpoint import checkpoint_deadline, notify_checkpoint_late
from delivery_window.checks.probes import CHECKS, runbook_for
from delivery_window.checks.record import record_check
from delivery_window.escalation import follow_up
from delivery_window.migrate import migrate_report_schema
from delivery_window.monitor import task as monitor_task
from delivery_window.protocol import get_protocol
from delivery_window.provision import task as provision_task
from delivery_window.reports import assemble, handoff_task, post_delivery, summary
from delivery_window.reports.assets import REPORT_ASSETS, describe_event
from delivery_window.run_params import PHASES, PHASES_DESCRIPTION, PHASES_SCHEMA, gate_task, selected_phases
from delivery_window.runbooks import pre_window, remediation
from delivery_window.runbooks.run import choose_runbooks
from delivery_window.ui import runbook_link
from delivery_window.window import context_day, window_at
from delivery_window.wiring import compliance_tasks
from delivery_window.wiring.pre_window_group import entry_task_id, pre_window_tasks
from delivery_window.wiring.runbook_groups import runbook_groups
from delivery_window.wiring.runbook_watch import CHOSEN_RUNBOOKS

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
    runbook = runbook_for(name, P)
    opens = (
        f"{runbook_link(P.runbooks[runbook].doc)} ({runbook})"
        if runbook
        else f"{runbook_link('include/runbooks/README.md')} (escalation)"
    )

    @task(
        task_id=name,
        doc_md=f"**{spec.protocol_line}** (protocol group `{spec.group}`)\n\n{spec.judge.__doc__}\n\n"
        f"Records `check_results` (pass / warn / fail / error, observed values, latency). If it fails, open {opens}.",
    )
    def run() -> dict:
        return record_check(name, context_day())

    return run()


# 05:30 health-verification TaskGroups (protocol pre_delivery_checklist groups), in protocol order.
CHECK_GROUPS_0530 = {
    "infrastructure": "05:30 infrastructure_health",
    "content_pipeline": "05:30 content_pipeline_status",
    "ai_services": "05:30 ai_service_readiness",
    "monitoring": "05:30 monitoring_systems",
}


@dag(
    dag_id="delivery_window",
    # 05:30 IST: the protocol's pre-delivery phase starts 30 minutes before the 06:00 send.
    schedule=P.schedule_cron,
    # protocol.yaml start_date: a delivery_date before it is refused (run_params), so both read one value.
    start_date=pendulum.datetime(P.start_date.year, P.start_date.month, P.start_date.day, tz=P.timezone),
    catchup=False,
    max_active_runs=1,
    doc_md=__doc__,
    tags=["delivery", "on-call", "whatsapp"],
    # The 06:05 SLA checkpoint must have completed by 06:05 + checkpoint_deadline_minutes: the callback (on the
    # triggerer) notifies unless the day's window_runs row exists. Runs with no logical date have no deadline.
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=checkpoint_deadline(P),
        callback=AsyncCallback(notify_checkpoint_late),
        name="checkpoint_0605_not_completed",
    ),
    user_defined_macros={"window_at": window_at},
    params={
        "delivery_date": Param(
            None,
            type=["null", "string"],
            format="date",
            description="Replay this delivery date (YYYY-MM-DD, today or earlier) instead of the run's own date.",
        ),
        "phases": Param(list(PHASES), **PHASES_SCHEMA, description=PHASES_DESCRIPTION),
        "dry_run": Param(
            False,
            type="boolean",
            description="Send nothing and act on nothing: the run is an evaluation (it never writes the record).",
        ),
        "record": Param(
            "auto",
            enum=["auto", "record", "evaluation"],
            description="Whether this run writes the day's record (`delivery_ops`) or an evaluation beside it "
            "(its own schema, listed in `delivery_ops.evaluations`). `auto`: the run for its own date is the "
            "record, a run for a past date (a replay) an evaluation. `record`: play a past day as its live run "
            "(the demo, on the sandbox). A dry run is always an evaluation.",
        ),
        "send": Param(
            False,
            type="boolean",
            description="An evaluation sends nothing unless true, and then only what the record never sent.",
        ),
        "approvals": Param(
            "hitl_when_scheduled",
            enum=["hitl_when_scheduled", "hitl", "auto"],
            description="Who approves runbook steps in `requires_approval`: `hitl` waits for an on-call in the UI "
            "(default taken after the runbook's timeout), `auto` approves at once, `hitl_when_scheduled` (default) "
            "is hitl for the daily scheduled run before 06:30 IST and auto otherwise (manual runs, dag.test(), "
            "the demo, a scheduled run catching up on a past window).",
        ),
        "force_runbook": Param(
            None,
            type=["null", "string"],
            enum=[None, *RUNBOOKS],
            description="Run this runbook after the window whatever was recorded (manual remediation).",
        ),
    },
    default_args={
        "owner": "delivery-oncall",
        "retries": 1,
        "retry_delay": timedelta(seconds=30),
        "execution_timeout": timedelta(minutes=10),
        "on_failure_callback": task_failure_alert,
        # Skips the tasks of phases the run did not select; fails a future delivery_date with its reason.
        "pre_execute": gate_task,
    },
)
def delivery_window():
    with TaskGroup("pre_delivery", tooltip="05:30 health verification and 05:45 final systems check") as pre:
        migrate = task(
            task_id="migrate_report_schema",
            doc_md="Apply pending `sql/migrations` to `delivery_ops` (idempotent, advisory-locked).",
        )(migrate_report_schema)()
        checks_0530 = []
        for group, tooltip in CHECK_GROUPS_0530.items():
            with TaskGroup(group, tooltip=tooltip):
                checks_0530 += [check_task(n) for n, spec in CHECKS.items() if spec.group == group]
        with TaskGroup("final_check", tooltip="05:45 final systems check (after a deferrable wait)"):
            wait_0545 = wait_until("final_check")
            checks_0545 = [check_task(n) for n, spec in CHECKS.items() if spec.group == "final_check"]
            wait_0545 >> checks_0545
        migrate >> [*checks_0530, wait_0545]

        @task(
            task_id="provision_monitoring",
            doc_md="**Monitoring as code** (issue 14): when `provisioning.enabled_in_dag`, save the Grafana dashboard "
            "(by uid) and create or update the Datadog monitors of the alert thresholds, recorded in "
            "`provisioned_objects`, before `check_grafana_dashboard` and `check_datadog_monitors` verify them. "
            "Off (the default), an evaluation or a dry run: nothing is changed. Same as `delivery-window provision`.",
        )
        def provision_monitoring(**context) -> dict:
            return provision_task.provision_monitoring(context["params"]["dry_run"])

        verified = [
            c for c in checks_0530 if c.operator.task_id.rsplit(".", 1)[-1] in provision_task.VERIFIED_BY
        ]
        migrate >> provision_monitoring() >> verified

        @task.branch(
            trigger_rule="all_done",
            doc_md="**Go / no-go** after the 05:45 final check: proceed, or the pre-window remediations "
            "(`go_no_go` in protocol.yaml; pure rule `runbooks/go_no_go.py`) from the recorded checks. The decision "
            "and its reasons go to `decisions` (decision_point `go_no_go`); alerts per the escalation rules "
            "(dedup `delivery_window:<date>:go_no_go:<remediation>`) are sent at once.",
        )
        def go_no_go(**context) -> list[str]:
            chosen = pre_window.decide_go_no_go(context_day(), dry_run=context["params"]["dry_run"])
            return [entry_task_id(name, P) for name in chosen] or [
                "pre_delivery.pre_window.proceed_as_planned"
            ]

        decision = go_no_go()
        [*checks_0530, *checks_0545] >> decision
        migrate >> compliance_tasks.screen_content_compliance() >> decision  # issue 14: SEBI content
        with TaskGroup("pre_window", tooltip="pre-window remediation before 06:00 (risky ones ask a person)"):
            remediation_tasks = pre_window_tasks(decision, P)

    with TaskGroup("delivery", tooltip="06:00–06:05 window monitor and remediation") as delivery:
        wait_0600 = wait_until("delivery_start")

        @task(
            execution_timeout=timedelta(minutes=30),
            doc_md="Every tick (`monitor.tick_seconds`) from 06:00 to 06:05 + grace, incrementally (only rows "
            "changed since the last tick): the four primary metrics per scope (overall, segment, tier, sender "
            "number) → `metric_ticks` and Datadog; the 13 alert rules → `alerts`; a first firing opens or updates "
            "the incident (protocol response steps on its timeline), pages PagerDuty and posts to "
            "#delivery-war-room at once; status lines to #delivery-ops (opened, each minute, closed). Live while "
            "the window is open, replay after it (same ticks, alerts, dedup keys); a retry resumes after the last "
            "tick written.",
        )
        def monitor_window(**context) -> dict:
            return monitor_task.monitor_window(context_day(), dry_run=context["params"]["dry_run"])

        @task(
            doc_md="**Post-window choice**: every runbook that applies from the recorded alerts and checks (pure "
            "rule, `runbooks/choice.py`; param `force_runbook` overrides) → `decisions`. Runbooks whose incident "
            "the monitor opened have started already (in the window); the others whose `activate_runbook` is "
            "still watching start now, the rest skip."
        )
        def choose_runbook(**context) -> list[str]:
            chosen = choose_runbooks(context_day(), force=context["params"].get("force_runbook"))
            context["ti"].xcom_push(key=CHOSEN_RUNBOOKS, value=chosen)  # each activate_runbook watches for it
            return chosen

        chosen = choose_runbook()
        wait_0600 >> monitor_window() >> chosen
        with TaskGroup(
            "remediation",
            tooltip="runbooks: each starts when the monitor opens its incident (or after the window), "
            "HITL approvals, measured success criteria, escalation follow-up",
        ):
            remediation_done = EmptyOperator(
                task_id="remediation_done",
                trigger_rule="all_done",
                doc_md="Join after the runbooks: whichever ran (or none), whatever their outcome.",
            )
            starts, watched_steps = runbook_groups(chosen.operator.task_id, P, remediation_done)
            wait_0600 >> starts

            @task(
                trigger_rule="all_done",
                doc_md="Escalation follow-up right after remediation: plan the ledger (`escalations`), cancel "
                "the steps of resolved incidents, send what is due (PagerDuty resolve, status pages...). The "
                "`delivery_window_escalations` DAG keeps following up every minute after the window.",
            )
            def send_due_escalations(**context) -> dict:
                return follow_up.send_due_escalations(context_day(), dry_run=context["params"]["dry_run"])

            remediation_done >> send_due_escalations()

    with TaskGroup("post_delivery", tooltip="06:05, 06:15 and 06:30 checkpoints") as post:

        @task(
            outlets=[REPORT_ASSETS["window_runs"]],
            doc_md="**06:05 checkpoint**: 99% SLA achieved, all advisor groups processed, zero critical "
            "failures, WhatsApp quality rating maintained since 05:45 → `window_runs` + one `check_results` row "
            "per item. A DeadlineAlert notifies the war room when this has not completed by 06:05 + "
            f"{P.post_delivery_verification.checkpoint_deadline_minutes} min.",
        )
        def verify_sla_checkpoint(**context) -> dict:
            row = checkpoint_task.verify_sla_checkpoint(
                context_day(), context["run_id"], dry_run=context["params"]["dry_run"]
            )
            describe_event(
                context, "window_runs", context_day(), sla_pct=row.get("sla_pct"), sla_met=row.get("sla_met")
            )
            return row

        @task(
            outlets=[REPORT_ASSETS["advisor_issues"]],
            doc_md="**06:15**: advisors without today's content: who, last error, error class, retryable → "
            "`advisor_issues`.",
        )
        def identify_advisor_issues(**context) -> int:
            count = post_delivery.identify_advisor_issues(context_day())
            describe_event(context, "advisor_issues", context_day(), advisors=count)
            return count

        @task(
            outlets=[REPORT_ASSETS["dq_results"]],
            doc_md="**06:15**: delivery analytics reviewed: Great Expectations suites (`include/gx`) on the "
            "day's attempts, the SLA row and the advisor issues, pushed down to Postgres → `dq_results`. A "
            "failing suite is a day-team finding, not a page.",
        )
        def validate_delivery_analytics(**context) -> dict:
            describe_event(context, "dq_results", context_day())
            return post_delivery.validate_delivery_analytics(context_day())

        @task(
            doc_md="**06:15**: delivery-receipt webhooks processed: receipt lag p95 and the share of sends "
            "with no receipt yet (`platform.webhook_receipts`)."
        )
        def check_receipt_processing() -> dict:
            return post_delivery.check_receipt_processing(context_day())

        @task(doc_md="**06:15**: engagement tracking operational: read receipts and engagement events.")
        def check_engagement_tracking() -> dict:
            return post_delivery.check_engagement_tracking(context_day())

        @task(
            trigger_rule="all_done",
            outlets=[REPORT_ASSETS["daily_reports"]],
            doc_md="**06:30**: daily report: `daily_reports` row, text table, Markdown document and PNG chart "
            "(per-minute attempts, failures, p95 latency, alerts marked); findings sorted by remediation "
            "priority; incidents documented; performance trends (7/30 days).",
        )
        def generate_daily_report(**context) -> str:
            describe_event(context, "daily_reports", context_day())
            return assemble.generate_daily_report(context_day(), phases=selected_phases(context["params"]))

        @task(
            trigger_rule="all_done",
            outlets=[REPORT_ASSETS["dq_results"]],
            doc_md="**06:30**: Great Expectations suite on the report row (one per day, the checkpoint's SLA).",
        )
        def validate_report_rows(**context) -> dict:
            describe_event(context, "dq_results", context_day())
            return post_delivery.validate_report_rows(context_day())

        @task(
            trigger_rule="all_done",
            outlets=[REPORT_ASSETS["handoff_log"]],
            doc_md="**06:30**: hand off to the day team → `handoff_log`: incidents, performance_notes, "
            "advisor_issues, infrastructure_changes, previous 24 h incident log, pending issues (by priority).",
        )
        def hand_off_to_day_team(**context) -> dict:
            describe_event(context, "handoff_log", context_day())
            return handoff_task.hand_off_to_day_team(context_day())

        @task(
            trigger_rule="all_done",
            doc_md="Post the report to #delivery-ops once; retry any notification still pending.",
        )
        def post_daily_summary(**context) -> dict:
            return summary.post_daily_summary(context_day(), dry_run=context["params"]["dry_run"])

        checkpoint = verify_sla_checkpoint()
        wait_until("delivery_end") >> checkpoint
        wait_0615 = wait_until("analytics_checkpoint")
        checkpoint >> wait_0615
        at_0615 = [identify_advisor_issues(), check_receipt_processing(), check_engagement_tracking()]
        analytics = validate_delivery_analytics()
        wait_0615 >> at_0615
        at_0615[0] >> analytics
        wait_0630 = wait_until("final_report")
        [analytics, *at_0615[1:]] >> wait_0630
        report = wait_0630 >> generate_daily_report()
        report >> validate_report_rows() >> hand_off_to_day_team() >> post_daily_summary()
        wait_0630 >> compliance_tasks.document_compliance_incidents()  # issue 14: SEBI incident documents

    pre >> delivery >> post

    @task(
        trigger_rule="one_failed",
        retries=0,
        on_failure_callback=[],  # it restates failures already on their incidents: no incident of its own
        doc_md="**Remediation watcher**: runs only when a remediation step failed (a pre-window remediation, a "
        "runbook step, or a success criterion measured not met) and fails the run, so a failed remediation never "
        "looks green. Every report task runs anyway (`all_done`).",
    )
    def remediation_watcher() -> None:
        remediation.fail_run(context_day())

    [*remediation_tasks, *watched_steps] >> remediation_watcher()


delivery_window()
