"""The DAG's SEBI content-compliance tasks (issue 14): the 05:30 screen and the 06:30 documents.

Bodies in ``delivery_window.compliance`` (imported when the task runs, never at parse time).
"""

from __future__ import annotations

from airflow.sdk import task

from delivery_window.window import context_day


def screen_content_compliance():
    """``pre_delivery.screen_content_compliance``: the day's content against the compliance engine's verdicts."""

    @task(
        task_id="screen_content_compliance",
        doc_md="**05:30 SEBI content compliance**: every item of `platform.content_items` for the day against the "
        "compliance engine's verdicts (`POST /v1/verdicts`) → `check_results` (`screen_content_compliance`). A "
        "violation opens the compliance incident (`sebi_violation_detected`: legal counsel and compliance officer "
        "at once, CEO +15 min, external legal +1 h, chain level 4, the 24 h SEBI deadline with reminders and an "
        "overdue escalation until `delivery-window compliance notified` records the filing). An item without a "
        "verdict is an `error`: an immediate-fix finding in the report and the handoff.",
    )
    def run(**context) -> dict:
        from delivery_window.compliance.screen import screen_content_compliance as body

        return body(context_day(), dry_run=context["params"]["dry_run"])

    return run()


def document_compliance_incidents():
    """``post_delivery.document_compliance_incidents``: each compliance incident's report and remediation plan."""

    @task(
        task_id="document_compliance_incidents",
        trigger_rule="all_done",
        doc_md="**06:30**: for each compliance incident of the day, the incident report and the remediation plan "
        "(Markdown: what, when, which content, which advisors received it, actions taken) → "
        "`compliance_documents` and files beside the daily report.",
    )
    def run() -> dict:
        from delivery_window.compliance.document_task import document_compliance_incidents as body

        return body(context_day())

    return run()
