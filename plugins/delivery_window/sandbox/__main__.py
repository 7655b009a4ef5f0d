"""``python -m delivery_window.sandbox --scenario healthy [--port N]``: serve the sandbox in the foreground.

The first line printed is the base URL, so a wrapper script can read it. ``--db-url`` (with ``--date``) also
applies the source contract and writes the scenario's day into that database before serving.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from datetime import date

from delivery_window.sandbox.scenarios import DEFAULT_SEED, SCENARIOS


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until interrupted (SIGINT/SIGTERM)."""
    parser = argparse.ArgumentParser(prog="python -m delivery_window.sandbox", description=__doc__)
    parser.add_argument("--scenario", default="healthy", choices=SCENARIOS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SERVICE=KIND",
        help="inject a fault, e.g. slack=http_500",
    )
    parser.add_argument("--db-url", help="also write the scenario's day into this Postgres database")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="delivery date for --db-url")
    parser.add_argument(
        "--platform-db",
        help="the delivery service applies its actions to this database's platform.* (as the sandbox of e2e)",
    )
    args = parser.parse_args(argv)
    if args.db_url and args.date is None:
        parser.error("--db-url needs --date (the data key comes from the caller, never from the clock)")

    faults = {}
    for item in args.fault:
        service, sep, kind = item.partition("=")
        if not sep:
            parser.error(f"--fault expects SERVICE=KIND, got {item!r}")
        faults[service] = kind

    from delivery_window.sandbox.server import Sandbox

    try:
        sandbox = Sandbox(
            args.scenario,
            seed=args.seed,
            faults=faults,
            host=args.host,
            port=args.port,
            platform_db=args.platform_db,
        ).start()
    except ValueError as exc:
        parser.error(str(exc))
    print(sandbox.url, flush=True)

    if args.db_url:
        import psycopg

        from delivery_window.sandbox.scenarios import apply_source_contract, generate_day, write_day

        day = generate_day(args.scenario, args.date, args.seed)
        with psycopg.connect(args.db_url, autocommit=True) as conn:
            apply_source_contract(conn)
            counts = write_day(conn, day)
        print(f"wrote {day.scenario} {day.delivery_date}: {counts}", file=sys.stderr, flush=True)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
