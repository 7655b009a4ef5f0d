"""The UI as an operator sees it: airflow standalone + the sandbox, a run of a past day triggered through the
REST API, then the DAG's grid page in headless Chromium (screenshot saved to build/ for CI)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import psycopg
import pytest

from delivery_window import runtime
from delivery_window.connections import sandbox_connections
from delivery_window.migrate import apply_migrations
from delivery_window.paths import ROOT
from delivery_window.sandbox.scenarios import generate_day, write_day
from delivery_window.sandbox.server import Sandbox

DAY = date(2026, 8, 1)
OUTAGE_DAY = date(2026, 8, 2)  # no other test writes either day
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


def failed_tasks(base: str, token: str, run_id: str, home: Path) -> str:
    """Which tasks failed and the end of each one's log: what a red run needs to be read from CI's output."""
    tis = call(base, "GET", f"/api/v2/dags/delivery_window/dagRuns/{run_id}/taskInstances?limit=200", token)
    lines = []
    for ti in tis["task_instances"]:
        if ti["state"] not in ("success", "skipped"):
            lines.append(f"{ti['task_id']}: {ti['state']}")
            for log in sorted((home / "logs").rglob(f"*task_id={ti['task_id']}*/attempt=*.log")):
                lines.append(log.read_text()[-1500:])
    return "\n".join(lines) or (home / "standalone.log").read_text()[-3000:]


@pytest.fixture(scope="module")
def healthy_run(standalone):
    """A run of the healthy past day triggered through the REST API (an evaluation: a past date), finished."""
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
    assert state == "success", failed_tasks(base, token, run_id, home)
    return run_id, token


@pytest.fixture(scope="module")
def outage_record(run_day):
    """The outage day's record, played live with dag.test() (as the demo does) into the same report database."""
    return run_day("whatsapp_outage", OUTAGE_DAY)


def chromium(home: Path, *args: str) -> subprocess.CompletedProcess:
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
    return subprocess.run([*flags, *args], capture_output=True, text=True, timeout=120)


def logged_in(base: str, path: str) -> str:
    """A URL that logs the browser in (all-admins mode sets Airflow's ``_token`` cookie) and goes to ``path``."""
    return f"{base}/auth/token/login?next={urllib.parse.quote(base + path, safe='')}"


def page(standalone, path: str, shot: str) -> str:
    """The DOM of ``path`` for a logged-in user, and its screenshot saved as build/<shot>."""
    base, home = standalone
    BUILD.mkdir(exist_ok=True)
    dom = chromium(home, "--dump-dom", logged_in(base, path)).stdout
    chromium(home, f"--screenshot={BUILD / shot}", logged_in(base, path)).check_returncode()
    assert (BUILD / shot).stat().st_size > 10_000
    return dom


def test_triggered_past_day_succeeds_and_grid_shows_the_phases(standalone, healthy_run):
    base, _ = standalone
    run_id, token = healthy_run
    runs = call(base, "GET", "/api/v2/dags/delivery_window/dagRuns", token)["dag_runs"]
    assert [r["dag_run_id"] for r in runs] == [run_id], "the scheduler started a run of its own"
    # The run says its day on the grid: the note the listener wrote when it ended.
    assert re.fullmatch(rf"Delivery date {DAY} · evaluation · SLA 99\.\d\d % MET · 0 alerts", runs[0]["note"])

    dom = page(standalone, f"/dags/delivery_window/runs/{run_id}", "ui-grid.png")
    for name in (*GROUPS, "generate_daily_report"):
        assert name in dom, f"{name} not visible on the grid page"


def test_the_run_tab_shows_the_healthy_days_evaluation(standalone, healthy_run):
    run_id, _ = healthy_run
    dom = page(standalone, f"/delivery-window/runs/delivery_window/{run_id}", "ui-view-healthy.png")
    assert re.search(rf"Delivery window · {DAY} · SLA 99\.\d\d % MET", dom)
    assert "An evaluation of the day" in dom and "No alerts fired." in dom
    assert 'class="check-pass"' in dom and "check_redis_cache" in dom
    # The same page as a tab of the run in Airflow's own UI (the external view), for the README's screenshot.
    page(standalone, f"/dags/delivery_window/runs/{run_id}/plugin/delivery-window", "ui-run-tab.png")


def test_the_view_of_an_outage_day_shows_its_alerts_incident_and_warnings(standalone, outage_record):
    assert outage_record.state == "failed"
    dom = page(standalone, f"/delivery-window/days/{OUTAGE_DAY}", "ui-view-outage.png")
    assert re.search(rf"Delivery window · {OUTAGE_DAY} · SLA 4\d\.\d\d % MISSED", dom)
    assert re.search(r'<tr class="alert state-paged">.*?failure_rate_2m', dom, re.S)
    assert re.search(r'<tr class="alert state-inhibited">', dom)
    assert (
        f"{OUTAGE_DAY}:delivery_failure" in dom and 'href="/delivery-window/runbooks/delivery_failure"' in dom
    )
    assert re.search(r'<tr class="check-warn">.*?background: #bf8700', dom, re.S)
