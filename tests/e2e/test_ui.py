"""The UI as an operator sees it: airflow standalone + the sandbox, a run of a past day triggered through the
REST API, then the DAG's grid page in headless Chromium (screenshot saved to build/ for CI)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from datetime import date

import psycopg
import pytest

from delivery_window import runtime
from delivery_window.connections import sandbox_connections
from delivery_window.migrate import apply_migrations
from delivery_window.paths import ROOT
from delivery_window.sandbox.scenarios import generate_day, write_day
from delivery_window.sandbox.server import Sandbox

DAY = date(2026, 8, 1)
BUILD = ROOT / "build"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
GROUPS = ("pre_delivery", "delivery", "post_delivery")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # the server is still starting
            last = exc
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


@pytest.fixture(scope="module")
def standalone(db_url, own_database, tmp_path_factory):
    assert CHROMIUM, "Debian's chromium is required for the UI test (.ci/run installs it)"
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        write_day(conn, generate_day("healthy", DAY))
        conn.commit()
    home = tmp_path_factory.mktemp("airflow-ui")
    port = free_port()
    # Airflow's metadata on Postgres, not SQLite: standalone runs a scheduler, a dag-processor, a triggerer and
    # parallel tasks, and on a busy machine SQLite's single writer lock made the scheduler die ("database is
    # locked"). A database of its own on the test server (own_database), dropped afterwards.
    with own_database("airflow_ui") as meta_db:
        sandbox = Sandbox("healthy").start()
        # the settings of `make airflow` (runtime.standalone_env), but:
        env = {
            **os.environ,
            **runtime.standalone_env(
                home=home,
                port=port,
                metadata_url=meta_db,
                connections=sandbox_connections(
                    sandbox.url, db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL)
                ),
                # No scheduled runs: unpausing would otherwise create the run of the latest 05:30 IST, and the
                # scheduler starts it before ours (queued runs go by run_after). Between 05:30 and 06:35 IST that
                # run is live and waits out the real window, so this test once timed out only at that hour of day.
                scheduled_runs=False,
                all_admins=True,  # the tests take a token without credentials
            ),
        }
        log = open(home / "standalone.log", "w")  # noqa: SIM115 - closed in the finalizer
        proc = subprocess.Popen(
            ["airflow", "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for(lambda: call(base, "GET", "/api/v2/version").get("version"), 120, "the api-server")
            yield base, home
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            log.close()
            sandbox.stop()


def test_triggered_past_day_succeeds_and_grid_shows_the_phases(standalone):
    base, home = standalone
    token = call(base, "GET", "/auth/token")["access_token"]  # all-admins mode: no credentials
    wait_for(lambda: call(base, "GET", "/api/v2/dags/delivery_window", token), 90, "the DAG to be parsed")
    run = call(
        base,
        "POST",
        "/api/v2/dags/delivery_window/dagRuns",
        token,
        {"logical_date": None, "conf": {"delivery_date": DAY.isoformat()}},
    )
    run_id = run["dag_run_id"]
    # A paused DAG's runs are not started; with use_job_schedule off, ours is the only run there is.
    call(base, "PATCH", "/api/v2/dags/delivery_window", token, {"is_paused": False})
    state = wait_for(
        lambda: (
            (s := call(base, "GET", f"/api/v2/dags/delivery_window/dagRuns/{run_id}", token)["state"])
            in ("success", "failed")
            and s
        ),
        600,
        "the triggered run to finish",
    )
    assert state == "success", (home / "standalone.log").read_text()[-3000:]
    runs = call(base, "GET", "/api/v2/dags/delivery_window/dagRuns", token)["dag_runs"]
    assert [r["dag_run_id"] for r in runs] == [run_id], "the scheduler started a run of its own"

    BUILD.mkdir(exist_ok=True)
    shot = BUILD / "ui-grid.png"
    url = f"{base}/dags/delivery_window/runs/{run_id}"
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={home / 'chromium'}",
        "--window-size=1600,1100",
        "--virtual-time-budget=20000",
    ]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000
    for name in (*GROUPS, "generate_daily_report"):
        assert name in dom, f"{name} not visible on the grid page"
