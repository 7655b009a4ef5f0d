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
