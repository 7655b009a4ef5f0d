"""``python -m delivery_window.sandbox.compose_day``: the one-shot job of docker-compose.yaml's ``sandbox`` profile.

It points every connection at the sandbox service, then writes yesterday and today of a scenario into the
delivery database, so that ``docker compose --profile sandbox up`` shows a day without any real credential.

The connections go to a JSON file that every Airflow component reads through Airflow's LocalFilesystemBackend
(``[secrets] backend``, searched before the ``AIRFLOW_CONN_*`` environment). airflow-init empties that file on
every ``up``, so without the profile nothing points at the sandbox and the ``.env`` connections apply.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from delivery_window import connections


def sandbox_connection_file(sandbox_url: str, db_url: str, owner_url: str, redis_url: str) -> dict:
    """conn_id -> connection (a dict, or a URI for redis) in LocalFilesystemBackend's JSON form: every
    connection of the package, the external ones at the sandbox and both database logins at ``db_url`` /
    ``owner_url``."""
    conns: dict = {}
    for conn_id, value in connections.sandbox_connections(sandbox_url, db_url, redis_url).items():
        conns[conn_id] = json.loads(value) if value.lstrip().startswith("{") else value
    owner = urlsplit(owner_url)
    conns[connections.DELIVERY_DB_OWNER] = {
        "conn_type": "postgres",
        "host": owner.hostname,
        "port": owner.port or 5432,
        "login": owner.username,
        "password": owner.password or "",
        "schema": owner.path.lstrip("/"),
    }
    return conns


def write_connection_file(path: Path, conns: dict) -> None:
    """Replace ``path`` atomically: a task reading it mid-write sees the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".connections-", suffix=".json")
    with os.fdopen(fd, "w") as fh:
        json.dump(conns, fh, indent=2, sort_keys=True)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def protocol_today() -> date:
    """Today in the protocol's time zone (protocol.yaml ``timezone``): the delivery date of this morning."""
    from delivery_window.protocol import load_protocol

    return datetime.now(ZoneInfo(load_protocol().timezone)).date()


def build_parser() -> argparse.ArgumentParser:
    from delivery_window.sandbox.scenarios import SCENARIOS

    parser = argparse.ArgumentParser(
        prog="python -m delivery_window.sandbox.compose_day", description=__doc__
    )
    parser.add_argument("--scenario", default="healthy", choices=SCENARIOS)
    parser.add_argument("--sandbox-url", required=True, help="base URL of the sandbox service")
    parser.add_argument("--db-url", required=True, help="delivery database as the tasks' login")
    parser.add_argument("--owner-url", required=True, help="delivery database as its owner (writes the days)")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--connections-file", type=Path, required=True)
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="default: protocol's today")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("sandbox_url", "db_url", "owner_url", "redis_url"):
        url = urlsplit(getattr(args, name))
        if not (url.scheme and url.hostname):
            parser.error(f"--{name.replace('_', '-')} is not a URL with a host: {getattr(args, name)!r}")

    from delivery_window.cli import prepare_day

    write_connection_file(
        args.connections_file,
        sandbox_connection_file(args.sandbox_url, args.db_url, args.owner_url, args.redis_url),
    )
    print(f"connections -> {args.sandbox_url}: {args.connections_file}", flush=True)
    today = args.today or protocol_today()
    for day in (today - timedelta(days=1), today):
        prepare_day(args.owner_url, args.scenario, day)
        print(f"wrote {args.scenario} {day.isoformat()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
