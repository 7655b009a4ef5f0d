"""The report tables as Airflow Assets: the tasks that write them emit asset events (outlets).

The data team schedules its own DAGs on these (``schedule=[REPORT_ASSETS["daily_reports"]]``). Names are the
tables' qualified names; ``extra`` says where they live. Imported by the DAG file only (it imports airflow.sdk).
"""

from __future__ import annotations

from airflow.sdk import Asset

from delivery_window.connections import DELIVERY_DB

TABLES = ("window_runs", "advisor_issues", "dq_results", "daily_reports", "handoff_log")

REPORT_ASSETS: dict[str, Asset] = {
    table: Asset(
        name=f"delivery_ops.{table}",
        group="delivery_ops",
        extra={"connection": DELIVERY_DB, "schema": "delivery_ops", "table": table, "key": "delivery_date"},
    )
    for table in TABLES
}


def event_extra(day, scope, **facts) -> dict:
    """The ``extra`` of a report table's asset event: which day, which copy (the record or an evaluation's
    schema; a consumer of the record skips evaluations), and the task's headline facts (e.g. the SLA)."""
    return {
        "delivery_date": day.isoformat(),
        "record": scope.is_record,
        "schema": scope.schema,
        **{k: v for k, v in facts.items() if v is not None},
    }


def describe_event(context, table: str, day, **facts) -> None:
    """Attach :func:`event_extra` to the running task's asset event for ``delivery_ops.<table>``."""
    from delivery_window import scope

    context["outlet_events"][REPORT_ASSETS[table]].extra = event_extra(day, scope.current(), **facts)
