"""docker-compose.yaml: valid Compose, mounts that exist, and the connections the code actually reads."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft201909Validator

from delivery_window import connections
from delivery_window.paths import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text())
# The Compose Specification schema, as shipped by Debian's docker-compose package (compose/config/compose_spec.json).
SCHEMA = json.loads((ROOT / "tests/fixtures/compose/compose_spec.json").read_text())


class Unset(Exception):
    """A ``${VAR:?err}`` / ``${VAR?err}`` whose variable is missing: Compose refuses to start."""


# ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, $VAR and $$: the interpolation both Compose v2 and Debian's
# docker-compose 1.29 implement alike. A default may not hold another ${...}: 1.29 renders nesting wrong.
_VAR = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^{}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def render(value: str, env: dict[str, str]) -> str:
    """``value`` as Compose renders it with ``env`` (the .env file); refuses nested interpolation."""

    def one(m: re.Match) -> str:
        dollar, name, op, arg, bare = m.groups()
        if dollar:
            return "$"
        if bare:
            return env.get(bare, "")
        arg = arg or ""
        present = name in env and (env[name] != "" or not (op or "").startswith(":"))
        if op in (":?", "?") and not present:
            raise Unset(f"{name}: {arg}")
        if op in (":-", "-") and not present:
            return arg.replace("$$", "$")
        return env.get(name, "")

    # every $ must belong to one token: in ${A:-x${B}} the inner ${B} matches and leaves ${A:-x} behind
    assert "$" not in _VAR.sub("", value), f"nested or unsupported interpolation in {value!r}"
    return _VAR.sub(one, value)


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=value lines of a .env file; single or double quotes around a value are dropped."""
    env = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key.strip()] = value
    return env


EXAMPLE_ENV = parse_env_file((ROOT / ".env.example").read_text())


def rendered(node, env: dict[str, str]):
    if isinstance(node, str):
        return render(node, env)
    if isinstance(node, list):
        return [rendered(item, env) for item in node]
    if isinstance(node, dict):
        return {key: rendered(value, env) for key, value in node.items()}
    return node


def rendered_env(service: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    env = COMPOSE["services"][service].get("environment", {})
    return {k: str(v) for k, v in rendered(env, EXAMPLE_ENV | (overrides or {})).items()}


def without_profile() -> list[str]:
    return [name for name, svc in COMPOSE["services"].items() if not svc.get("profiles")]


AIRFLOW_SERVICES = [
    name
    for name, svc in COMPOSE["services"].items()
    if "AIRFLOW_CONN_DELIVERY_DB" in svc.get("environment", {})
]


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


def test_tasks_log_in_as_the_app_and_only_migrations_as_the_database_owner():
    env = rendered_env("airflow-scheduler")
    app, owner = urlsplit(env["AIRFLOW_CONN_DELIVERY_DB"]), urlsplit(env["AIRFLOW_CONN_DELIVERY_DB_OWNER"])
    assert (app.username, app.password, app.hostname, app.port, app.path) == (
        "delivery_window_app",
        EXAMPLE_ENV["DELIVERY_APP_DB_PASSWORD"],
        "postgres",
        5432,
        "/delivery",
    )
    assert (owner.username, owner.password, owner.hostname, owner.path) == (
        "delivery",
        EXAMPLE_ENV["DELIVERY_DB_PASSWORD"],
        "postgres",
        "/delivery",
    )
    as_owner = {
        name
        for svc in COMPOSE["services"]
        for name, value in rendered_env(svc).items()
        if name.startswith("AIRFLOW_CONN_") and "://delivery:" in value
    }
    assert as_owner == {"AIRFLOW_CONN_DELIVERY_DB_OWNER"}
    assert "CREATE ROLE delivery_window_app LOGIN" in (ROOT / "sql/roles.sql").read_text()
    assert re.search(r"^DELIVERY_APP_DB_PASSWORD=CHANGE_ME", (ROOT / ".env.example").read_text(), re.M)


def test_the_delivery_database_can_be_pointed_elsewhere_for_both_logins():
    env = rendered_env("airflow-worker", {"DELIVERY_DB_HOST": "db.internal", "DELIVERY_DB_PORT": "6432"})
    for name in ("AIRFLOW_CONN_DELIVERY_DB", "AIRFLOW_CONN_DELIVERY_DB_OWNER"):
        url = urlsplit(env[name])
        assert (url.hostname, url.port, url.path) == ("db.internal", 6432, "/delivery")


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


def test_the_renderer_follows_compose_and_refuses_nesting():
    env = {"A": "a", "EMPTY": ""}
    assert render("x${A}y$A$$HOSTNAME $${B}", env) == "xaya$HOSTNAME ${B}"
    assert render("${EMPTY:-d} ${EMPTY-d} ${NONE-d} ${A:?e}", env) == "d  d a"
    for value in ("${NONE:?set in .env}", "${EMPTY:?set in .env}"):
        try:
            render(value, env)
        except Unset as exc:
            assert str(exc).endswith(": set in .env")
        else:
            raise AssertionError(value)
    try:
        render("${A:-postgresql://u:${B:?x}@h/d}", env)
    except AssertionError as exc:
        assert "nested" in str(exc)
    else:
        raise AssertionError("nesting rendered")


def test_the_whole_file_renders_from_env_example_without_nested_interpolation():
    """Every string of the file, as both Compose v2 and docker-compose 1.29 render it (no ${ inside a ${)."""
    rendered(COMPOSE, EXAMPLE_ENV)  # raises on nesting or on a required value .env.example lacks
    assert re.findall(r"\$\{[^}]*\$\{", (ROOT / "docker-compose.yaml").read_text()) == []


def test_compose_refuses_to_start_without_a_real_connection_in_env():
    env = dict(EXAMPLE_ENV)
    del env["AIRFLOW_CONN_PAGERDUTY_EVENTS"]
    try:
        rendered(COMPOSE["x-airflow-common"], env)
    except Unset as exc:
        assert str(exc).startswith("AIRFLOW_CONN_PAGERDUTY_EVENTS:")
    else:
        raise AssertionError("rendered without AIRFLOW_CONN_PAGERDUTY_EVENTS")


def _as_connection(conn_id: str, value):
    """The connection Airflow builds from an AIRFLOW_CONN_* value or a connections-file entry."""
    from airflow.secrets.local_filesystem import _create_connection

    return _create_connection(conn_id, value)


def test_every_rendered_connection_of_every_airflow_service_is_a_valid_uri_or_json():
    assert {"airflow-apiserver", "airflow-scheduler", "airflow-worker", "airflow-triggerer"} <= set(
        AIRFLOW_SERVICES
    )
    for service in AIRFLOW_SERVICES:
        env = rendered_env(service)
        conns = {
            k[len("AIRFLOW_CONN_") :].lower(): v for k, v in env.items() if k.startswith("AIRFLOW_CONN_")
        }
        assert set(conns) == connection_ids(), service
        for conn_id, value in conns.items():
            conn = _as_connection(conn_id, json.loads(value) if value.startswith("{") else value)
            assert conn.conn_type, (service, conn_id)
            # without the profile nothing points at the sandbox
            assert "sandbox" not in (conn.host or "") + (conn.password or ""), (service, conn_id)
        assert env["AIRFLOW__SECRETS__BACKEND"] == "airflow.secrets.local_filesystem.LocalFilesystemBackend"


def connections_file() -> str:
    kwargs = json.loads(COMPOSE["x-airflow-common"]["environment"]["AIRFLOW__SECRETS__BACKEND_KWARGS"])
    return kwargs["connections_file_path"]


def test_airflow_init_empties_the_sandbox_connections_file_on_every_up():
    script = COMPOSE["services"]["airflow-init"]["command"][-1]
    assert f"echo '{{}}' > {connections_file()}" in script
    mounts = {v.split(":")[1]: v.split(":")[0] for v in COMPOSE["x-airflow-common"]["volumes"]}
    assert mounts[str(PurePosixPath(connections_file()).parent)] in COMPOSE["volumes"]
    assert "airflow-init" not in [s for s in COMPOSE["services"] if COMPOSE["services"][s].get("profiles")]


def test_the_sandbox_profile_adds_the_sandbox_and_its_day_job_and_nothing_else():
    profiled = {name: svc["profiles"] for name, svc in COMPOSE["services"].items() if svc.get("profiles")}
    assert profiled == {"airflow-cli": ["debug"], "sandbox": ["sandbox"], "sandbox-day": ["sandbox"]}
    day = COMPOSE["services"]["sandbox-day"]
    assert day["restart"] == "no"
    assert day["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    assert day["depends_on"]["sandbox"]["condition"] == "service_healthy"


def _sandbox_args(env_overrides=None):
    from delivery_window.sandbox.__main__ import main  # noqa: F401  (the CLI the service runs)

    cmd = rendered(COMPOSE["services"]["sandbox"]["command"], EXAMPLE_ENV | (env_overrides or {}))
    assert COMPOSE["services"]["sandbox"]["entrypoint"] == "python" and cmd[:2] == [
        "-m",
        "delivery_window.sandbox",
    ]
    return dict(zip(cmd[2::2], cmd[3::2], strict=True))


def test_the_sandbox_day_job_points_every_connection_at_the_sandbox_service(tmp_path):
    from airflow.secrets.local_filesystem import LocalFilesystemBackend

    from delivery_window.sandbox import compose_day
    from delivery_window.sandbox.scenarios import SCENARIOS

    job = COMPOSE["services"]["sandbox-day"]
    cmd = rendered(job["command"], EXAMPLE_ENV)
    assert job["entrypoint"] == "python" and cmd[:2] == ["-m", "delivery_window.sandbox.compose_day"]
    args = compose_day.build_parser().parse_args(cmd[2:])
    assert args.scenario == "healthy" and args.scenario in SCENARIOS
    assert str(args.connections_file) == connections_file()
    sandbox = _sandbox_args()
    url = urlsplit(args.sandbox_url)
    assert (url.hostname, str(url.port)) == ("sandbox", sandbox["--port"])
    assert sandbox["--scenario"] == args.scenario and sandbox["--host"] == "0.0.0.0"
    # SANDBOX_SCENARIO chooses the scenario of both
    other = sorted(SCENARIOS)[-1]
    assert (
        compose_day.build_parser()
        .parse_args(rendered(job["command"], EXAMPLE_ENV | {"SANDBOX_SCENARIO": other})[2:])
        .scenario
        == other
        == _sandbox_args({"SANDBOX_SCENARIO": other})["--scenario"]
    )

    path = tmp_path / "connections" / "sandbox.json"
    compose_day.write_connection_file(
        path,
        compose_day.sandbox_connection_file(args.sandbox_url, args.db_url, args.owner_url, args.redis_url),
    )
    backend = LocalFilesystemBackend(connections_file_path=str(path))
    for conn_id in sorted(connection_ids()):
        conn = backend.get_connection(conn_id)
        assert conn is not None, conn_id
        if conn_id in (connections.DELIVERY_DB, connections.DELIVERY_DB_OWNER):
            assert (conn.host, conn.port, conn.schema) == ("postgres", 5432, "delivery"), conn_id
        elif conn_id == connections.REDIS:
            assert (conn.host, conn.port) == ("redis", 6379)
        else:  # an external service: at the sandbox, never at a real host
            where = conn.host if conn.conn_type != "slackwebhook" else conn.password
            where = where or conn.extra_dejson.get("base_url", "")
            assert where.startswith("http://sandbox:8090/"), (conn_id, where)
    assert backend.get_connection(connections.DELIVERY_DB).login == "delivery_window_app"
    assert backend.get_connection(connections.DELIVERY_DB_OWNER).login == "delivery"


def test_the_sandbox_day_job_rejects_a_bad_url_in_one_line(capsys):
    from delivery_window.sandbox import compose_day

    argv = [
        "--sandbox-url",
        "sandbox:8090",
        "--db-url",
        "postgresql://u@h/d",
        "--owner-url",
        "postgresql://u@h/d",
    ]
    argv += ["--redis-url", "redis://redis:6379/1", "--connections-file", "/nonexistent/c.json"]
    try:
        compose_day.main(argv)
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("accepted a URL without a host")
    assert "--sandbox-url is not a URL with a host: 'sandbox:8090'" in capsys.readouterr().err
