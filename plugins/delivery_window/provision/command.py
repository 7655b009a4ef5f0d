"""``delivery-window provision``: deploy the Grafana dashboard and the Datadog monitors (idempotent).

Grafana and Datadog are the ``grafana_api`` and ``datadog_api`` Airflow connections (``AIRFLOW_CONN_*``), or the
sandbox at ``--sandbox URL``; what was deployed is recorded in the report database's ``provisioned_objects``.
A line per object on stdout; any failure is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    """Register ``provision`` on the CLI's subparsers (cli.build_parser)."""
    cmd = sub.add_parser(
        "provision",
        help="deploy the Grafana dashboard and the Datadog monitors of the alert thresholds (idempotent)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("--db-url", help="report database (default: DELIVERY_DB_URL, else local Postgres)")
    cmd.add_argument("--sandbox", metavar="URL", help="provision a running sandbox (delivery-window sandbox)")
    cmd.set_defaults(fn=cmd_provision)


def cmd_provision(args) -> int:
    """Provision, print what was done; one line on stderr and exit 2 when anything failed."""
    import psycopg

    from delivery_window import runtime
    from delivery_window.connections import DATADOG, GRAFANA, sandbox_connections
    from delivery_window.protocol import get_protocol
    from delivery_window.provision.run import provision

    url = args.db_url or runtime.database_url("delivery_window", prefer_local=True)
    if args.sandbox:
        conns = sandbox_connections(args.sandbox.rstrip("/"), url, runtime.DEFAULT_REDIS_URL)
        runtime.set_connections({k: conns[k] for k in (GRAFANA, DATADOG)})
    try:
        result = provision(get_protocol(), db=lambda: runtime.dsn_connect(url))
    except psycopg.errors.UndefinedTable:
        print(
            "delivery-window provision: error: no delivery_ops.provisioned_objects in that database; "
            "run `delivery-window migrate` (or the DAG) first",
            file=sys.stderr,
        )
        return 2
    for line in result.lines:
        print(line)
    if result.errors:
        print(f"delivery-window provision: error: {'; '.join(result.errors)}", file=sys.stderr)
        return 2
    return 0
