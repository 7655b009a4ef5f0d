"""One run of a day's record in a process of its own (``python concurrent_day.py DB_URL DAY SCENARIO OUT``), so that
two can run at once (``test_reruns``). Airflow's metadata is this process's own SQLite; the report database is
shared. Writes what its sandbox received to OUT (JSON)."""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path


def main(db_url: str, day: str, scenario: str, out: str) -> None:
    home = Path(out).with_suffix(".airflow")
    home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(home)
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    from delivery_window import runtime
    from delivery_window.connections import sandbox_connections
    from delivery_window.sandbox.server import Sandbox

    runtime.init_airflow_db()
    with Sandbox(scenario=scenario).start() as sandbox:
        runtime.set_connections(sandbox_connections(sandbox.url, db_url, runtime.DEFAULT_REDIS_URL))
        dag_run = runtime.run_dag(date.fromisoformat(day))
        Path(out).write_text(json.dumps({"state": str(dag_run.state), "requests": sandbox.requests()}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
