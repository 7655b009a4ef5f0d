"""`make airflow` (`delivery-window airflow`) and the UI test run `airflow standalone` with one environment,
``runtime.standalone_env``: Postgres metadata, a fixed local login, the DAG unpaused, task logs at INFO."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from delivery_window import cli, cli_airflow, runtime
from delivery_window.paths import ROOT

HOME = Path("/tmp/airflow-ui-home")
CONNS = {
    "delivery_db": "postgresql://postgres@127.0.0.1:5432/delivery_window_demo",
    "slack_war_room": "x://y",
}


def env(**kwargs) -> dict[str, str]:
    return runtime.standalone_env(
        home=HOME,
        port=8080,
        metadata_url="postgresql://postgres@127.0.0.1:5432/airflow_ui",
        connections=CONNS,
        path="/usr/bin",
        **kwargs,
    )


def test_the_standalone_environment_of_make_airflow():
    e = env()
    assert (
        e["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://postgres@127.0.0.1:5432/airflow_ui"
    )
    assert e["AIRFLOW_HOME"] == str(HOME)
    assert e["AIRFLOW__CORE__DAGS_FOLDER"] == str(ROOT / "dags")
    assert e["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
    assert e["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False"
    assert e["AIRFLOW__LOGGING__LOGGING_LEVEL"] == "INFO"
    assert e["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Kolkata"
    assert e["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "True"
    assert (e["AIRFLOW__API__HOST"], e["AIRFLOW__API__PORT"]) == ("127.0.0.1", "8080")
    assert e["AIRFLOW__API__BASE_URL"] == "http://127.0.0.1:8080"
    # one admin user, its password from our file, login required
    assert e["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert e["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"] == str(runtime.ui_passwords_file(HOME))
    assert e["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "False"
    assert e["PATH"].split(":") == [str(Path(sys.executable).parent), "/usr/bin"]
    assert e["AIRFLOW_CONN_DELIVERY_DB"] == CONNS["delivery_db"]
    assert e["AIRFLOW_CONN_SLACK_WAR_ROOM"] == "x://y"
    assert not any("sqlite" in v for v in e.values())


def test_the_ui_test_turns_off_scheduled_runs_and_the_login_only():
    test = env(scheduled_runs=False, all_admins=True)
    assert test["AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE"] == "False"
    assert test["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] == "True"
    differ = {k for k in test if test[k] != env()[k]}
    assert differ == {"AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"}


def test_every_setting_is_an_option_of_this_airflow():
    from airflow.configuration import retrieve_configuration_description

    options = retrieve_configuration_description()  # config.yml: a removed option would be ignored quietly
    for key in env():
        if key.startswith("AIRFLOW__"):
            section, option = key.removeprefix("AIRFLOW__").lower().split("__", 1)
            assert option in options[section]["options"], key


def test_the_login_file_is_what_the_simple_auth_manager_reads(tmp_path):
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    path = runtime.write_ui_login(tmp_path / "home")
    assert path == runtime.ui_passwords_file(tmp_path / "home")
    assert json.loads(path.read_text()) == {"admin": "admin"} == dict([runtime.UI_LOGIN])
    with open(path, "r+") as f:
        assert SimpleAuthManager._get_passwords(f) == {"admin": "admin"}


def test_a_pgserver_socket_url_keeps_its_host_query():
    url = "postgresql://postgres:@/airflow_ui?host=/work/main/.cache/pgdata"
    assert (
        runtime.sqlalchemy_url(url)
        == "postgresql+psycopg2://postgres:@/airflow_ui?host=/work/main/.cache/pgdata"
    )


def test_a_port_in_use_is_one_line_and_exit_2_before_anything_starts(capsys, monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("the command started work on bad input")

    monkeypatch.setattr(runtime, "port_open", lambda host, port, timeout=0.5: True)
    for name in ("database_url", "server_database_url", "dsn_connect", "write_ui_login"):
        monkeypatch.setattr(runtime, name, started)
    monkeypatch.setattr(cli, "prepare_day", started)
    assert cli.main(["airflow", "--port", "8091"]) == 2
    out, err = capsys.readouterr()
    assert err == (
        "delivery-window airflow: error: port 8091 is in use (another Airflow?): stop it, or choose one with "
        "--port\n"
    )
    assert out == ""


@pytest.mark.parametrize("answer", [{"is_paused": False}, {"is_paused": True}])
def test_ready_means_logged_in_with_the_fixed_login_and_the_dag_known(monkeypatch, answer):
    import urllib.request

    seen = []

    class Resp:
        def __init__(self, body):
            self.body = body

        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def read(self):
            return json.dumps(self.body).encode()

    def urlopen(req, timeout):
        seen.append((req.full_url, req.data, req.get_header("Authorization")))
        return Resp({"access_token": "T"} if req.full_url.endswith("/auth/token") else answer)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    state = cli_airflow.ui_dag_state("http://127.0.0.1:8080", *runtime.UI_LOGIN)
    assert state == ("paused" if answer["is_paused"] else "unpaused")
    assert seen[0] == (
        "http://127.0.0.1:8080/auth/token",
        json.dumps({"username": "admin", "password": "admin"}).encode(),
        None,
    )
    assert seen[1] == ("http://127.0.0.1:8080/api/v2/dags/delivery_window", None, "Bearer T")


def test_not_ready_while_the_api_does_not_answer(monkeypatch):
    import urllib.request

    def refused(req, timeout):
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr(urllib.request, "urlopen", refused)
    assert cli_airflow.ui_dag_state("http://127.0.0.1:8080", *runtime.UI_LOGIN) is None
