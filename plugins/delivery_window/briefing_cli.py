"""``delivery-window note add | list | expire`` and ``delivery-window change add | list | cancel``: what the
incoming engineer's briefing lists beside the day's records (``reports.briefing``). Registered by
``cli.build_parser``; a bad input is one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

DB_HELP = "report database (default: DELIVERY_DB_URL, else local Postgres)"
TIME_HELP = "ISO 8601; without an offset: IST (2026-12-05T05:30)"


def register(sub) -> None:
    """Add the ``note`` and ``change`` commands to the CLI's subparsers."""
    note = sub.add_parser(
        "note", help="special instructions or known issues for the next handoffs: add, list, expire"
    )
    note.add_argument("--db-url", help=DB_HELP)
    actions = note.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="a note every handoff lists from --from (default now) until --until")
    add.add_argument("--text", required=True, help="the instruction or known issue")
    add.add_argument("--from", dest="starts_at", help=TIME_HELP + "; default: now")
    add.add_argument("--until", help=TIME_HELP + "; default: until expired")
    add.add_argument("--by", required=True, help="who is responsible for it")
    listing = actions.add_parser("list", help="the notes a handoff now would list")
    listing.add_argument("--at", help=TIME_HELP + "; default: now")
    expire = actions.add_parser("expire", help="stop listing a note now")
    expire.add_argument("note_id")
    note.set_defaults(fn=cmd_note)

    change = sub.add_parser("change", help="planned changes the handoff lists as upcoming: add, list, cancel")
    change.add_argument("--db-url", help=DB_HELP)
    actions = change.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="a planned change (deploy, migration, vendor work)")
    add.add_argument("--start", required=True, help=TIME_HELP)
    add.add_argument("--end", help=TIME_HELP + "; default: a single moment")
    add.add_argument("--title", required=True, help="what changes, in one line")
    add.add_argument("--details", help="impact, rollback, who to call")
    add.add_argument("--by", required=True, help="who planned it")
    listing = actions.add_parser("list", help="changes under way or starting within the briefing's lookahead")
    listing.add_argument("--at", help=TIME_HELP + "; default: now")
    cancel = actions.add_parser("cancel", help="cancel a planned change")
    cancel.add_argument("change_id")
    change.set_defaults(fn=cmd_change)


def _run(args: argparse.Namespace, what: str, body) -> int:
    import psycopg

    from delivery_window import runtime
    from delivery_window.escalation.clock import utcnow
    from delivery_window.protocol import get_protocol
    from delivery_window.reports.briefing import BriefingError

    p, now = get_protocol(), utcnow()
    url = args.db_url or runtime.database_url("delivery_window", prefer_local=True)
    try:
        with runtime.dsn_connect(url) as conn:
            body(conn, p, now, ZoneInfo(p.timezone))
    except BriefingError as exc:
        print(f"delivery-window {what} {args.action}: error: {exc}", file=sys.stderr)
        return 2
    except psycopg.errors.UndefinedTable:
        print(
            f"delivery-window {what} {args.action}: error: no delivery_ops briefing tables in that database; "
            "run `delivery-window migrate` (or the DAG) first",
            file=sys.stderr,
        )
        return 2
    return 0


def cmd_note(args: argparse.Namespace) -> int:
    from delivery_window.reports import briefing

    def body(conn, p, now, tz):
        if args.action == "add":
            start = briefing.parse_time(args.starts_at, "--from", p)
            until = briefing.parse_time(args.until, "--until", p)
            note_id = briefing.add_note(
                conn, text=args.text, starts_at=start, until=until, author=args.by, now=now
            )
            print(f"note {note_id} added")
        elif args.action == "expire":
            briefing.expire_note(conn, args.note_id, now)
            print(f"note {args.note_id} expired")
        else:
            at = briefing.parse_time(args.at, "--at", p) or now
            notes = briefing.notes_at(conn, at)
            for n in notes:
                print(briefing.describe_note(n, tz))
            print(f"{len(notes)} note(s) a handoff at {at.astimezone(tz):%Y-%m-%d %H:%M} IST lists")

    return _run(args, "note", body)


def cmd_change(args: argparse.Namespace) -> int:
    from delivery_window.reports import briefing

    def body(conn, p, now, tz):
        if args.action == "add":
            change_id = briefing.add_change(
                conn,
                title=args.title,
                starts_at=briefing.parse_time(args.start, "--start", p),
                ends_at=briefing.parse_time(args.end, "--end", p),
                details=args.details,
                author=args.by,
                now=now,
            )
            print(f"planned change {change_id} added")
        elif args.action == "cancel":
            briefing.cancel_change(conn, args.change_id, now)
            print(f"planned change {args.change_id} cancelled")
        else:
            at = briefing.parse_time(args.at, "--at", p) or now
            ahead = timedelta(
                minutes=p.shift_handoff.incoming_engineer_briefing.maintenance_lookahead_minutes
            )
            changes = briefing.changes_at(conn, at, ahead)
            for c in changes:
                print(briefing.describe_change(c, tz))
            print(
                f"{len(changes)} planned change(s) under way or within {ahead} of {at.astimezone(tz):%Y-%m-%d %H:%M} IST"
            )

    return _run(args, "change", body)
