"""Every DAG file runs as a plain script, the parse check Airflow's best-practices page recommends.

``python dags/<file>.py`` puts ``dags/`` first on ``sys.path``, as the DAG processor does: a DAG file named like
the package (``dags/delivery_window.py``) would then be what ``import delivery_window`` finds. The scripts run
with this session's Airflow settings (tests/conftest.py puts them in the environment the subprocess inherits).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from delivery_window.paths import ROOT

DAGS = ROOT / "dags"
DAG_FILES = sorted(p.name for p in DAGS.glob("*.py"))


def test_both_dag_files_are_checked():
    assert {"delivery_window_dag.py", "delivery_window_escalations.py"} <= set(DAG_FILES)


@pytest.mark.parametrize("name", DAG_FILES)
def test_dag_file_runs_as_a_script(name):
    done = subprocess.run(
        [sys.executable, str(DAGS / name)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=dict(os.environ),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr, done.stderr


def test_the_package_wins_over_the_dags_folder_on_sys_path():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import delivery_window; print(delivery_window.__file__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(DAGS)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    found = Path(done.stdout.strip().splitlines()[-1]).resolve()
    assert found.is_relative_to((ROOT / "plugins" / "delivery_window").resolve()), found
