"""docker-compose.yaml: valid Compose, mounts that exist, and the connections the code actually reads."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft201909Validator

from delivery_window import connections
from delivery_window.paths import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
# The Compose Specification schema, as shipped by Debian's docker-compose package (compose/config/compose_spec.json).
SCHEMA = json.loads((ROOT / "tests/fixtures/compose/compose_spec.json").read_text())


def connection_ids() -> set[str]:
    return {
        v
        for k, v in vars(connections).items()
        if k.isupper() and isinstance(v, str) and not k.startswith("SANDBOX")
    }


def test_compose_file_validates_against_the_compose_spec():
    errors = sorted(Draft201909Validator(SCHEMA).iter_errors(COMPOSE), key=str)
    assert [f"{list(e.path)}: {e.message}" for e in errors] == []


def test_official_airflow_services_are_present():
    assert {
        "postgres",
        "redis",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "airflow-init",
    } <= set(COMPOSE["services"])


def test_every_bind_mount_exists():
    missing = []
    for name, svc in COMPOSE["services"].items():
        for vol in svc.get("volumes", []):
            source = vol.split(":", 1)[0] if isinstance(vol, str) else vol.get("source", "")
            if source.startswith("./") and not (ROOT / source).exists():
                missing.append(f"{name}: {source}")
    assert missing == []


def test_compose_sets_exactly_the_connections_the_code_uses():
    text = (ROOT / "docker-compose.yaml").read_text()
    conns = {m.lower() for m in re.findall(r"AIRFLOW_CONN_([A-Z0-9_]+):", text)}
    assert conns == connection_ids()
    example = (ROOT / ".env.example").read_text()
    for conn_id in connection_ids():
        assert f"AIRFLOW_CONN_{conn_id.upper()}" in example, conn_id


def _default_login(name: str) -> str:
    """The login of the URL a ``${NAME:-postgresql://...}`` connection falls back to."""
    value = COMPOSE["x-airflow-common"]["environment"][name]
    m = re.fullmatch(rf"\$\{{{name}:-(.*)\}}", value)
    assert m, value
    url = urlsplit(re.sub(r"\$\{[^}]*\}", "password", m.group(1)))
    assert (url.hostname, url.path) == ("postgres", "/delivery"), value
    return url.username


def test_tasks_log_in_as_the_app_and_only_migrations_as_the_database_owner():
    assert _default_login("AIRFLOW_CONN_DELIVERY_DB") == "delivery_window_app"
    assert (
        "${DELIVERY_APP_DB_PASSWORD:?"
        in COMPOSE["x-airflow-common"]["environment"]["AIRFLOW_CONN_DELIVERY_DB"]
    )
    assert _default_login("AIRFLOW_CONN_DELIVERY_DB_OWNER") == "delivery"
    as_owner = {
        name
        for env in [COMPOSE["x-airflow-common"]["environment"]]
        + [svc.get("environment", {}) for svc in COMPOSE["services"].values()]
        if isinstance(env, dict)
        for name, value in env.items()
        if name.startswith("AIRFLOW_CONN_") and "://delivery:" in str(value)
    }
    assert as_owner == {"AIRFLOW_CONN_DELIVERY_DB_OWNER"}
    assert "CREATE ROLE delivery_window_app LOGIN" in (ROOT / "sql/roles.sql").read_text()
    example = (ROOT / ".env.example").read_text()
    assert "# AIRFLOW_CONN_DELIVERY_DB=postgresql://delivery_window_app:" in example
    assert re.search(r"^DELIVERY_APP_DB_PASSWORD=CHANGE_ME", example, re.M)


def test_db_init_applies_roles_sql_as_the_superuser_and_sets_the_app_password():
    init = COMPOSE["services"]["delivery-db-init"]
    assert init["environment"]["PGUSER"] == COMPOSE["services"]["postgres"]["environment"]["POSTGRES_USER"]
    assert init["environment"]["DELIVERY_APP_DB_PASSWORD"] == "${DELIVERY_APP_DB_PASSWORD:?set in .env}"
    script = init["command"][-1]
    roles_block = script[
        script.index('psql -v ON_ERROR_STOP=1 -v app_pw="$${DELIVERY_APP_DB_PASSWORD}" -d delivery') :
    ]
    assert roles_block.splitlines()[1:3] == [
        "\\i /sql/roles.sql",
        "SELECT format('ALTER ROLE delivery_window_app PASSWORD %L', :'app_pw')\\gexec",
    ]
    # After the platform tables exist (roles.sql grants on them); as the superuser: `delivery` cannot create roles.
    assert script.index("/sql/source_contract.sql") < script.index("/sql/roles.sql")
    assert "PGUSER=" not in roles_block


def test_env_names_the_package_reads_are_set_or_documented():
    code = "\n".join(p.read_text() for p in (ROOT / "plugins" / "delivery_window").rglob("*.py"))
    read = set(re.findall(r"os\.environ(?:\.get)?[\[(]\s*\"(DELIVERY_[A-Z_]+)\"", code))
    assert "DELIVERY_WINDOW_HOME" in read
    text = (ROOT / "docker-compose.yaml").read_text() + (ROOT / "README.md").read_text()
    assert [name for name in sorted(read) if name not in text] == []
