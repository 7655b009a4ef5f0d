"""DAG parse time: how long the DAG processor needs to import dags/delivery_window_dag.py.

Prints the cold import (fresh interpreter, Airflow included) and the warm parse (DagBag of the file with
Airflow already imported), each against a baseline of an empty one-task DAG file in the same run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = """
import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import dag

@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1))
def baseline():
    EmptyOperator(task_id="noop")

baseline()
"""
RUNS = 5


def warm(folder: str) -> list[float]:
    """Seconds per DagBag parse of ``folder`` in one process (Airflow already imported)."""
    code = (
        "import sys, time, json\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"DagBag(dag_folder={folder!r})\n"
        "out = []\n"
        f"for _ in range({RUNS}):\n"
        "    t = time.perf_counter(); b = DagBag(dag_folder=" + repr(folder) + ")\n"
        "    assert not b.import_errors, b.import_errors\n"
        "    out.append(time.perf_counter() - t)\n"
        "print(json.dumps(out))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return __import__("json").loads(out.strip().splitlines()[-1])


def cold(path: str) -> float:
    """Seconds to import the DAG file in a fresh interpreter."""
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", f"import runpy; runpy.run_path({path!r})"], check=True, capture_output=True
    )
    return time.perf_counter() - t


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline_dag.py"
        base.write_text(BASELINE)
        dag_file = str(ROOT / "dags" / "delivery_window_dag.py")
        dags_dir = str(ROOT / "dags")
        ours_warm, base_warm = warm(dags_dir), warm(tmp)
        ours_cold = statistics.median(cold(dag_file) for _ in range(3))
        base_cold = statistics.median(cold(str(base)) for _ in range(3))
    ow, bw = statistics.median(ours_warm), statistics.median(base_warm)
    print(f"{'':28}{'delivery_window':>16}{'baseline':>12}{'ratio':>8}")
    print(f"{'warm parse (DagBag), ms':28}{ow * 1000:16.1f}{bw * 1000:12.1f}{ow / bw:8.2f}")
    print(f"{'cold import (fresh proc), s':28}{ours_cold:16.2f}{base_cold:12.2f}{ours_cold / base_cold:8.2f}")


if __name__ == "__main__":
    main()
