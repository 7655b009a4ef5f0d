"""`delivery-window demo` as a newcomer runs it (`make demo`): in its own process, stdout and stderr together as a
terminal shows them. A healthy day prints the demo's progress (a line per phase) and the report, under 60 lines;
the full log, unfiltered, is in the file the demo names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

from delivery_window.paths import ROOT

DAY = date(2026, 10, 4)  # a day no other e2e test writes


def test_a_healthy_demo_prints_progress_and_the_report_in_under_60_lines(own_database, tmp_path):
    with own_database("cli_demo") as url:
        env = {
            **os.environ,
            "DELIVERY_DB_URL": url,  # the demo's own database (it applies the source contract to it)
            # Airflow metadata of this test only (runtime.configure_airflow keeps a URL already set)
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
        }
        done = subprocess.run(
            [str(Path(sys.executable).parent / "delivery-window"), "demo", "--date", DAY.isoformat()],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=400,
        )
    out = done.stdout
    lines = out.splitlines()
    assert done.returncode == 0, out[-3000:]
    assert len(lines) < 60, out
    print(f"demo: {len(lines)} lines printed")  # what `make demo` shows a newcomer (pytest -s)

    phases = [
        line.split()[0] for line in lines if re.match(r"(pre-delivery|delivery|post-delivery) +done: ", line)
    ]
    assert phases == ["pre-delivery", "delivery", "post-delivery"], out
    assert f"Delivery window report {DAY.isoformat()}" in out
    assert "DAG run               success" in out
    for noise in ("No tasks to run", "GxDatasourceWarning", "RuntimeDirWarning", "empty cryptography key"):
        assert noise not in out, noise

    logged = re.search(r"^full log +(\S+) \(unfiltered; (\d+) known-harmless", out, re.M)
    assert logged, out
    log = ROOT / logged[1]
    assert log == ROOT / "build" / f"demo-{DAY.isoformat()}-healthy.log" and log.is_file()
    text = log.read_text()
    # everything the terminal showed is in the log, and what it did not show is there too
    assert all(line in text for line in lines)
    assert int(logged[2]) > 0 and "connection delivery_db_owner is not defined" in text
    assert len(text.splitlines()) > len(lines)
