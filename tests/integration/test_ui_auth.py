"""The Delivery window view inside Airflow's real api-server app (create_app, the simple auth manager, our
plugin mounted from its entry point): refused without a login, served with one, and read-only on Postgres.

The browser test (tests/e2e/test_ui.py) runs standalone in all-admins mode, where Airflow itself authenticates
every request; refusal is tested here, with the auth manager as a deployment has it."""

from __future__ import annotations

import os
from datetime import date

import psycopg
import pytest

from delivery_window import runtime
from delivery_window.connections import sandbox_connections
from delivery_window.migrate import apply_migrations

DAY = date(2026, 7, 9)  # no other test writes it


@pytest.fixture(scope="module")
def api(airflow_db, db_url):
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        conn.execute(
            "INSERT INTO delivery_ops.window_runs (delivery_date, run_id, mode, advisors_targeted, "
            "advisors_delivered, sla_pct, sla_target_pct, sla_met, attempts, failed_attempts, error_rate_pct, "
            "p95_latency_ms, peak_rate_per_min, segments_processed, segments_expected, critical_alerts, status, "
            "measured_as_of, computed_at) VALUES (%s, 'r', 'replay', 2000, 1994, 99.7, 99.0, true, 2010, 6, "
            "0.3, 700, 425, 4, 4, 0, 'sla_met', now(), now()) ON CONFLICT DO NOTHING",
            (DAY,),
        )
    runtime.set_connections(
        sandbox_connections(
            "http://127.0.0.1:9", db_url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL)
        )
    )
    return TestClient(create_app("core"))


def token() -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="admin"))


PATHS = ("/delivery-window/days", f"/delivery-window/days/{DAY}", f"/delivery-window/api/days/{DAY}",
         "/delivery-window/runbooks/delivery_failure")  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_no_page_of_the_view_is_public(api, path):
    assert api.get(path).status_code == 401
    assert api.get(path, headers={"Authorization": "Bearer forged"}).status_code == 403
    assert api.get(path, cookies={"_token": "forged"}).status_code == 403


def test_a_logged_in_user_reads_the_day(api):
    page = api.get(f"/delivery-window/days/{DAY}", cookies={"_token": token()})  # the UI's cookie
    assert page.status_code == 200 and f"Delivery window · {DAY} · SLA 99.70 % MET" in page.text
    data = api.get(f"/delivery-window/api/days/{DAY}", headers={"Authorization": f"Bearer {token()}"}).json()
    assert data["window_run"]["sla_pct"] == "99.700" and data["metrics"][0]["met"] is True
    days = api.get("/delivery-window/days", headers={"Authorization": f"Bearer {token()}"}).text
    assert f'href="/delivery-window/days/{DAY}"' in days
    assert api.get("/delivery-window/runbooks/nope", cookies={"_token": token()}).status_code == 404


def test_the_view_registers_a_run_tab_and_a_nav_entry(api):
    views = {
        v["name"]: v
        for p in api.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token()}"}).json()["plugins"]
        for v in p["external_views"]
    }
    assert views["Delivery window"]["destination"] == "dag_run"
    assert views["Delivery window"]["href"] == "/delivery-window/runs/{DAG_ID}/{RUN_ID}"
    assert views["Delivery days"]["destination"] == "nav"


def test_the_views_connection_cannot_write(api):
    from delivery_window.ui.day_data import read_only_db

    with read_only_db() as conn, conn.cursor() as cur, pytest.raises(Exception, match="read-only"):
        cur.execute("DELETE FROM delivery_ops.window_runs WHERE delivery_date = %s", (DAY,))
