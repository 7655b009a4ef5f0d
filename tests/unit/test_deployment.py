"""docker-compose.yaml: valid Compose, mounts that exist, and the connections the code actually reads."""

from __future__ import annotations

import json
import re

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


def test_env_names_the_package_reads_are_set_or_documented():
    code = "\n".join(p.read_text() for p in (ROOT / "plugins" / "delivery_window").rglob("*.py"))
    read = set(re.findall(r"os\.environ(?:\.get)?[\[(]\s*\"(DELIVERY_[A-Z_]+)\"", code))
    assert "DELIVERY_WINDOW_HOME" in read
    text = (ROOT / "docker-compose.yaml").read_text() + (ROOT / "README.md").read_text()
    assert [name for name in sorted(read) if name not in text] == []
