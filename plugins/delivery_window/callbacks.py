"""Task callbacks. Notifiers are built per call: a shared instance is mutated when it renders."""

from __future__ import annotations

from delivery_window.connections import SLACK_ENGINEERING_ALERTS


def task_failure_alert(context) -> None:
    """Post a failed task to #engineering-alerts (the escalation engine takes it from there)."""
    if context["params"].get("dry_run"):
        return
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    SlackWebhookNotifier(
        slack_webhook_conn_id=SLACK_ENGINEERING_ALERTS,
        text=(
            ":x: delivery_window task {{ ti.task_id }} failed (try {{ ti.try_number }}) "
            "in run {{ dag_run.run_id }}: {{ exception }}"
        ),
    )(context)
