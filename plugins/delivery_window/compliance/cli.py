"""The ``delivery-window compliance`` command (registered by ``delivery_window.cli.build_parser``).

    delivery-window compliance notified --incident 2026-04-14:compliance_sebi_violation \\
        --reference SEBI/IA/2026/0415-17 --by "Meera (compliance officer)" [--at 2026-04-15T04:10] [--not-required]
"""

from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    """Add ``compliance notified`` to the command line's subparsers."""
    compliance = sub.add_parser("compliance", help="SEBI compliance incidents: record that SEBI was notified")
    actions = compliance.add_subparsers(dest="action", required=True)
    notified = actions.add_parser(
        "notified", help="record the SEBI notification of a compliance incident: stops its reminders"
    )
    notified.add_argument("--incident", required=True, help="e.g. 2026-04-14:compliance_sebi_violation")
    notified.add_argument("--reference", required=True, help="SEBI's acknowledgement or the filing's number")
    notified.add_argument("--by", required=True, help="who filed it (recorded on the timeline)")
    notified.add_argument("--at", help="when it was filed, ISO 8601 (no offset: IST); default now")
    notified.add_argument(
        "--not-required",
        action="store_true",
        help="the notification was judged not required (recorded as such; the reminders stop too)",
    )
    notified.add_argument("--db-url", help="report database (default: DELIVERY_DB_URL, else local Postgres)")
    compliance.set_defaults(fn=run)


def run(args: argparse.Namespace) -> int:
    """``compliance notified``: one line on success; bad input is one line on stderr, exit 2."""
    from delivery_window import runtime
    from delivery_window.compliance.notified import NotifiedError, parse_at, record
    from delivery_window.escalation.clock import utcnow
    from delivery_window.protocol import get_protocol

    p = get_protocol()
    url = args.db_url or runtime.database_url("delivery_window", prefer_local=True)
    outcome = "not_required" if args.not_required else "filed"
    try:
        at = parse_at(args.at, utcnow(), p)
        with runtime.dsn_connect(url) as conn:
            done = record(conn, args.incident, args.reference, args.by, at, p, outcome=outcome)
    except NotifiedError as exc:
        print(f"delivery-window compliance {args.action}: error: {exc}", file=sys.stderr)
        return 2
    docs = ", ".join(f"{k} v{v}" for k, v in sorted(done["documents"].items()))
    print(
        f"SEBI notification of {args.incident} recorded ({outcome}, reference {args.reference}, by {args.by}); "
        f"{len(done['cancelled'])} reminder(s) cancelled; documents: {docs}"
    )
    return 0
