"""delivery-window: the commands behind the Makefile. make demo runs "delivery-window demo" (a whole simulated
day through the real DAG, its report printed, the full log saved under build/); make airflow runs
"delivery-window airflow" (the Airflow UI: airflow standalone on http://127.0.0.1:8080, login admin / admin,
wired to the sandbox).

Bad input (a date that is no date, in the future or before the DAG's start date, a day with no delivery
attempts, an unknown scenario, a database that cannot be reached or has no platform tables, a port in use) is
answered with one line on stderr and exit status 2, before Airflow or the sandbox starts; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from delivery_window import runtime


class UsageError(Exception):
    """Bad input to a command: :func:`main` prints it as one line on stderr and exits 2."""


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line on stderr with exit status 2 (the usage is what --help is for)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def iso_date(text: str) -> date:
    """argparse type of ``--date``: a real calendar day, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD ({exc})") from None


def _day(value: date | None) -> date:
    # Default: yesterday — a past day, so the DAG replays and its waits pass at once.
    return value or date.today() - timedelta(days=1)


def runnable_day(day: date) -> date:
    """``day``, or :class:`UsageError` for a future day or one before the DAG's start date: refused here, before
    Airflow starts, rather than by every task of the run (``run_params.gate_task``) with the same reason."""
    from delivery_window.protocol import get_protocol
    from delivery_window.run_params import RunParamsError, check_delivery_date, context_today
    from delivery_window.window import tz

    try:
        check_delivery_date(day, context_today(tz()), get_protocol().start_date)
    except RunParamsError as exc:
        raise UsageError(str(exc)) from None
    return day


def connect(url: str):
    """:func:`runtime.dsn_connect`, with a database that cannot be reached as bad input (one line, exit 2)."""
    import psycopg

    try:
        return runtime.dsn_connect(url)
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot connect to the database: {first}") from None


NO_PLATFORM = "sql/source_contract.sql creates the platform schema and its tables (the source contract)"
# The source contract is DDL on platform.*: applied only where this package owns the database (never on the live
# platform, whose names are views over its own tables and where the app role may not run DDL), and only when asked.
APPLY_CONTRACT = (
    "`delivery-window migrate --with-source-contract` creates them (on a database the package owns)"
)


def require_attempts(url: str, day: date) -> None:
    """:class:`UsageError` unless ``platform.delivery_attempts`` has rows for ``day``: a past day without any
    would "succeed" at an SLA of 0 % of 0 and act on it. Today is never refused: at 05:30 its attempts do not
    exist yet."""
    import psycopg

    from delivery_window import store
    from delivery_window.run_params import context_today
    from delivery_window.window import tz

    if day >= context_today(tz()):
        return
    try:
        with connect(url) as conn:
            recorded = store.has_delivery_attempts(conn, day)
    except psycopg.errors.UndefinedTable:
        raise UsageError(f"no platform.delivery_attempts in that database: {NO_PLATFORM}") from None
    if not recorded:
        raise UsageError(f"no delivery attempts recorded for {day.isoformat()}")


def cmd_migrate(args) -> int:
    import psycopg

    from delivery_window import store
    from delivery_window.migrate import apply_migrations
    from delivery_window.sandbox.scenarios import apply_source_contract

    url = args.db_url or runtime.database_url("delivery_window", prefer_local=True)
    with connect(url) as conn:
        if args.with_source_contract:
            apply_source_contract(conn)
        # the report schema's views read platform.*: without it the first such migration fails mid-way
        if not store.has_schema(conn, "platform"):
            raise UsageError(
                f"no platform schema in that database: {NO_PLATFORM}; on a database the package owns, "
                "`delivery-window migrate --with-source-contract` applies it"
            )
        try:
            applied = apply_migrations(conn)
        except psycopg.errors.UndefinedTable as exc:  # a platform schema without every table of the contract
            raise UsageError(f"{exc.diag.message_primary}: {NO_PLATFORM}") from None
    print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none pending'} on {url}")
    return 0


def prepare_day(url: str, scenario: str | None, day: date, *, source_contract: bool = False) -> None:
    """Report schema (and with ``source_contract``, the platform tables first: only on a database the package
    owns, as the demo's); with a scenario, (re)write that day's platform rows."""
    from delivery_window.migrate import apply_migrations
    from delivery_window.sandbox.scenarios import apply_source_contract, generate_day, write_day

    with runtime.dsn_connect(url) as conn:
        if source_contract:
            apply_source_contract(conn)
        apply_migrations(conn)
        if scenario:
            write_day(conn, generate_day(scenario, day))
            conn.commit()


def run_day(
    url: str,
    scenario: str,
    day: date,
    *,
    dry_run: bool = False,
    conf: dict | None = None,
    record: bool = True,
) -> tuple[str, bool]:
    """Sandbox up, connections set, Airflow ready, the real DAG run with dag.test() (a line as each phase
    finishes), report printed. Returns the run's state and whether the day's report was written."""
    from delivery_window.connections import sandbox_connections
    from delivery_window.sandbox.server import Sandbox

    runtime.configure_airflow(runtime.CACHE / "airflow")
    with Sandbox(scenario=scenario, platform_db=url).start() as sandbox:
        runtime.set_connections(
            sandbox_connections(sandbox.url, url, os.environ.get("REDIS_URL", runtime.DEFAULT_REDIS_URL))
        )
        runtime.init_airflow_db()
        print("running the delivery_window DAG with dag.test() against the sandbox (about a minute) ...")
        started = time.perf_counter()
        from delivery_window.demo_progress import PhaseProgress

        with PhaseProgress(runtime.run_after_for(day)) as progress:
            dag_run = runtime.run_dag(day, dry_run=dry_run, conf=conf, record=record)
            progress.finish(dag_run.get_task_instances())
        elapsed = time.perf_counter() - started
        reported = print_report(url, day, sandbox, dag_run, elapsed)
    return str(dag_run.state), reported


def print_report(url: str, day: date, sandbox, dag_run, elapsed: float) -> bool:
    """The day's report from delivery_ops, plus what the sandbox received (pages, Slack posts) and the run's
    state (``failed`` names the failed tasks: a remediation measured not met fails the run). True when the
    report exists."""
    from delivery_window import store

    with runtime.dsn_connect(url) as conn:
        report = store.execute(conn, "select_daily_report", {"delivery_date": day})
    print()
    print(report[0]["report_text"] if report else f"no daily report for {day} (run state {dag_run.state})")
    pages = sandbox.requests("pagerduty")
    slack = sandbox.requests("slack")
    print(f"{'sandbox received'.ljust(20)}  {len(pages)} PagerDuty event(s), {len(slack)} Slack post(s)")
    print(f"{'DAG run'.ljust(20)}  {dag_run.state} in {elapsed:.1f} s")
    failed = sorted(ti.task_id for ti in dag_run.get_task_instances() if str(ti.state) == "failed")
    if failed:
        print(f"{'failed tasks'.ljust(20)}  {', '.join(failed)}")
    return bool(report)


def shown(path: Path) -> str:
    """``path`` relative to the working directory when under it (build/demo-... from the project root)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def demo_log_path(day: date, scenario: str) -> Path:
    """Where ``demo`` saves its full log: build/demo-<delivery date>-<scenario>.log (a rerun overwrites it)."""
    return runtime.BUILD / f"demo-{day.isoformat()}-{scenario}.log"


def cmd_demo(args) -> int:
    from delivery_window import console_log

    day = runnable_day(_day(args.date))
    log_path = demo_log_path(day, args.scenario)
    # before anything imports Airflow (its log handlers keep the streams they find) or pgserver (a warning)
    with console_log.captured(log_path) as capture:
        print(f"demo: scenario={args.scenario} date={day}; full log: {shown(log_path)}")
        url = runtime.database_url("delivery_window_demo", prefer_local=False)
        print(f"demo: report database {url}")
        prepare_day(url, args.scenario, day, source_contract=True)  # the demo owns its database
        _, reported = run_day(url, args.scenario, day, dry_run=args.dry_run)
        print(
            f"{'full log'.ljust(20)}  {shown(log_path)} (unfiltered; {capture.left_off_total} known-harmless "
            "warning(s) not shown here)"
        )
    # the demo worked when the day was run to its report; a failed run (a remediation measured not met, as on
    # the outage day) is the demo's result, printed above, not the demo failing
    return 0 if reported else 1


def replay_conf(args) -> dict:
    """The DAG params a replay's flags set (besides delivery_date and dry_run)."""
    conf: dict = {}
    if args.phases:
        conf["phases"] = list(dict.fromkeys(args.phases))
    if args.force_runbook:
        conf["force_runbook"] = args.force_runbook
    if getattr(args, "send", False):
        conf["send"] = True
    return conf


def cmd_replay(args) -> int:
    day = runnable_day(args.date)
    url = args.db_url or runtime.database_url("delivery_window_demo", prefer_local=False)
    require_attempts(url, day)  # before the migrations, the sandbox or Airflow: nothing has started
    prepare_day(url, None, day)  # never the source contract: a replay reads platform.*, it does not define it
    # a replay is an evaluation beside the day's record: it re-judges what the record observed and sends nothing
    # unless --send (then only what the record never sent)
    state, _ = run_day(url, "healthy", day, dry_run=args.dry_run, conf=replay_conf(args), record=False)
    return 0 if state == "success" else 1


def cmd_import(args) -> int:
    """Load a day exported from the platform into ``platform.*``: every row checked first, all or nothing."""
    import psycopg

    from delivery_window import source_load
    from delivery_window.source_files import SourceFileError, file_format
    from delivery_window.source_import import refusal
    from delivery_window.window import day_span

    day = runnable_day(args.date)
    # by default the database replay reads: import a day, then replay it
    url = args.db_url or runtime.database_url("delivery_window_demo", prefer_local=False)
    files = {"delivery_attempts": args.attempts} | ({"advisors": args.advisors} if args.advisors else {})
    span = day_span(day)
    try:
        for path in files.values():
            file_format(path)
        with connect(url) as conn:
            missing = [f"platform.{t}" for t in files if t not in source_load.platform_tables(conn)]
            conn.rollback()
            if missing:
                raise UsageError(f"no {', '.join(missing)} in that database: {APPLY_CONTRACT}")
            verdicts = {str(path): source_load.check_export(t, path, day, span) for t, path in files.items()}
            refused = refusal(verdicts)
            if refused:
                raise UsageError(refused)
            try:
                loaded = source_load.load(conn, day, span, files)
            except psycopg.Error as exc:  # e.g. a platform.* that is a view, or no INSERT for this role
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise UsageError(f"nothing was written: {first}") from None
    except (SourceFileError, source_load.ExportChanged) as exc:
        raise UsageError(f"{exc}; nothing was written") from None
    advisors = (
        f"; {loaded.advisors_new + loaded.advisors_updated} advisors upserted "
        f"({loaded.advisors_new} new, {loaded.advisors_updated} updated)"
        if "advisors" in files
        else ""
    )
    print(
        f"imported {day.isoformat()}: {loaded.attempts} delivery attempts loaded, "
        f"{loaded.replaced} replaced{advisors}"
    )
    return 0


def cmd_sandbox(args) -> int:
    from delivery_window.sandbox.__main__ import main as sandbox_main

    return sandbox_main(["--scenario", args.scenario] + (["--port", str(args.port)] if args.port else []))


def cmd_airflow(args) -> int:
    """``airflow standalone`` on 127.0.0.1 with every connection pointed at a sandbox in this process: metadata
    on Postgres, the fixed login :data:`runtime.UI_LOGIN`, the DAGs unpaused, task logs at INFO
    (:func:`runtime.standalone_env`, shared with the UI test). The terminal gets what this command says (the
    login line, then when the UI is ready); standalone's own output goes to the log file."""
    from delivery_window import console_log

    if runtime.port_open("127.0.0.1", args.port):
        raise UsageError(f"port {args.port} is in use (another Airflow?): stop it, or choose one with --port")
    log_path = runtime.BUILD / "airflow-standalone.log"
    with console_log.captured(log_path) as capture:
        from delivery_window.cli_airflow import run_standalone

        return run_standalone(args, capture)


def cmd_silence(args) -> int:
    """``silence add | list | expire``: planned maintenance; a bad input is one line on stderr, exit 2."""
    import psycopg

    from delivery_window.escalation import silences
    from delivery_window.escalation.clock import utcnow
    from delivery_window.escalation.routing import SilenceError
    from delivery_window.protocol import get_protocol

    p, now = get_protocol(), utcnow()
    url = args.db_url or runtime.database_url("delivery_window", prefer_local=True)
    try:
        with runtime.dsn_connect(url) as conn:
            if args.action == "add":
                start = silences.parse_time(args.start, "--start", p)
                end = silences.parse_time(args.end, "--end", p)
                matchers = silences.parse_matchers(args.match)
                silence_id = silences.add(
                    conn, start=start, end=end, matchers=matchers, reason=args.reason, author=args.author,
                    protocol=p, now=now,
                )  # fmt: skip
                print(f"silence {silence_id} added")
            elif args.action == "expire":
                silences.expire(conn, args.silence_id, now)
                print(f"silence {args.silence_id} expired")
            else:
                found = silences.current_and_upcoming(conn, now, timedelta(days=args.days))
                for s in found:
                    print(silences.describe(s, p, now))
                print(f"{len(found)} active or upcoming silence(s) in the next {args.days} day(s)")
    except SilenceError as exc:
        print(f"delivery-window silence {args.action}: error: {exc}", file=sys.stderr)
        return 2
    except psycopg.errors.UndefinedTable:
        print(
            f"delivery-window silence {args.action}: error: no delivery_ops.silences in that database; "
            "run `delivery-window migrate` (or the DAG) first",
            file=sys.stderr,
        )
        return 2
    return 0


def cmd_incident(args) -> int:
    """``incident close``: the day team closes an incident (a recorded action); a bad id is one line, exit 2."""
    from delivery_window.escalation import engine
    from delivery_window.escalation.clock import utcnow

    url = args.db_url or runtime.database_url("delivery_window", prefer_local=True)
    with runtime.dsn_connect(url) as conn:
        outcome = engine.close_by_hand(conn, args.incident, utcnow(), args.by, args.reason)
    if outcome != "closed":
        print(f"delivery-window incident close: error: {outcome}", file=sys.stderr)
        return 2
    print(f"incident {args.incident} closed by {args.by}; the follow-up sends its closing messages")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``delivery-window`` command line."""
    from delivery_window.protocol import get_protocol
    from delivery_window.run_params import PHASES

    parser = _Parser(
        prog="delivery-window", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="simulate a whole delivery day end to end and print its report",
        epilog=scenario_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scenario_argument(demo)
    demo.add_argument("--date", type=iso_date, help="delivery date YYYY-MM-DD (default: yesterday)")
    demo.add_argument("--dry-run", action="store_true", help="record notifications without sending")
    demo.set_defaults(fn=cmd_demo)

    replay = sub.add_parser("replay", help="run the DAG over a day already in the database")
    replay.add_argument(
        "--date", required=True, type=iso_date, help="delivery date YYYY-MM-DD, today or earlier"
    )
    replay.add_argument("--db-url", help="report/source database (default: DELIVERY_DB_URL or embedded)")
    replay.add_argument("--dry-run", action="store_true", help="record notifications without sending")
    replay.add_argument(
        "--send", action="store_true", help="send what the evaluation finds and the record never sent"
    )
    replay.add_argument("--phases", nargs="+", choices=PHASES, help="run only these phases (default: all)")
    replay.add_argument("--force-runbook", choices=list(get_protocol().runbooks), help="run this runbook")
    replay.set_defaults(fn=cmd_replay)

    imp = sub.add_parser(
        "import",
        help="load a day exported from the platform (CSV or Parquet) into platform.*, all rows valid or none",
    )
    imp.add_argument("--date", required=True, type=iso_date, help="delivery date YYYY-MM-DD of the export")
    imp.add_argument(
        "--attempts", required=True, help="platform.delivery_attempts of that day (.csv or .parquet)"
    )
    imp.add_argument("--advisors", help="platform.advisors, upserted by advisor_id (.csv or .parquet)")
    imp.add_argument("--db-url", help="database (default: DELIVERY_DB_URL or embedded, as replay)")
    imp.set_defaults(fn=cmd_import)

    migrate = sub.add_parser("migrate", help="apply the delivery_ops migrations (idempotent)")
    migrate.add_argument("--db-url", help="default: DELIVERY_DB_URL, else local Postgres, else embedded")
    migrate.add_argument(
        "--with-source-contract",
        action="store_true",
        help="first create the platform tables (sql/source_contract.sql): only on a database the package owns",
    )
    migrate.set_defaults(fn=cmd_migrate)

    sandbox = sub.add_parser(
        "sandbox",
        help="run the external-services sandbox in the foreground",
        epilog=scenario_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scenario_argument(sandbox)
    sandbox.add_argument("--port", type=int, default=0)
    sandbox.set_defaults(fn=cmd_sandbox)

    silence = sub.add_parser("silence", help="silences for planned maintenance: add, list, expire")
    silence.add_argument("--db-url", help="report database (default: DELIVERY_DB_URL, else local Postgres)")
    actions = silence.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add",
        help="mute matching alerts from --start to --end (never a severity-1 page unless protocol.yaml allows it)",
    )
    add.add_argument("--start", required=True, help="ISO 8601; without an offset: IST (2026-12-05T05:30)")
    add.add_argument(
        "--end", required=True, help="ISO 8601, after --start, at most silences.max_duration_hours"
    )
    add.add_argument(
        "--match", nargs="+", required=True, metavar="LABEL=VALUE", help="labels: rule, scope, level, runbook"
    )
    add.add_argument("--reason", required=True, help="the planned maintenance or change it covers")
    add.add_argument("--author", required=True, help="who is responsible for it")
    listing = actions.add_parser("list", help="active and upcoming silences")
    listing.add_argument("--days", type=int, default=7, help="how far ahead (default 7)")
    expire = actions.add_parser("expire", help="stop a silence now")
    expire.add_argument("silence_id")
    silence.set_defaults(fn=cmd_silence)

    incident = sub.add_parser("incident", help="close an incident by hand (the day team's recorded action)")
    incident_actions = incident.add_subparsers(dest="action", required=True)
    close = incident_actions.add_parser("close", help="resolve an open incident: who closed it and why")
    close.add_argument("--db-url", help="report database (default: DELIVERY_DB_URL, else local Postgres)")
    close.add_argument("--incident", required=True, help="incident id, e.g. 2026-12-04:delivery_sla_miss")
    close.add_argument("--by", required=True, help="who closes it (recorded on the timeline)")
    close.add_argument("--reason", required=True, help="why it can be closed (recorded on the timeline)")
    incident.set_defaults(fn=cmd_incident)

    from delivery_window.compliance import cli as compliance_cli  # issue 14: compliance notified

    compliance_cli.register(sub)

    from delivery_window import briefing_cli  # issue 14: note / change (the handoff's briefing)

    briefing_cli.register(sub)

    from delivery_window.provision import command as provision_command

    provision_command.add_parser(sub)

    ui = sub.add_parser(
        "airflow",
        help="Airflow UI (standalone) wired to the sandbox",
        epilog=scenario_list(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scenario_argument(ui)
    ui.add_argument("--port", type=int, default=8080, help="the UI's port on 127.0.0.1 (default 8080)")
    ui.set_defaults(fn=cmd_airflow)
    return parser


def scenario_argument(parser: argparse.ArgumentParser) -> None:
    """``--scenario``, one of the sandbox's scenarios (listed with a line each in the command's --help)."""
    from delivery_window.sandbox.scenarios import SCENARIOS

    parser.add_argument(
        "--scenario",
        default="healthy",
        choices=SCENARIOS,
        metavar="SCENARIO",
        help="the simulated day (default: healthy; the scenarios are listed below)",
    )


def scenario_list() -> str:
    """The sandbox's scenarios, one line each (the start of its description), for a command's --help."""
    import textwrap

    from delivery_window.sandbox.scenarios import REGISTRY

    indent = 2 + max(map(len, REGISTRY)) + 2  # "  name  description", at most 100 characters a line
    lines = [
        f"  {name.ljust(indent - 2)}{textwrap.shorten(s.description, 100 - indent, placeholder=' ...')}"
        for name, s in REGISTRY.items()
    ]
    return "scenarios:\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``delivery-window`` command; bad input is one line on stderr and exit status 2."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0), or a usage error argparse has printed as one line (2)
        return exc.code if isinstance(exc.code, int) else 0
    try:
        return args.fn(args)
    except UsageError as exc:
        print(f"{parser.prog} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        import psycopg

        from delivery_window.migrate import MigrationError

        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, psycopg.OperationalError):
            problem = f"database unavailable: {first}"
        elif isinstance(exc, MigrationError):  # the database's migration ledger disagrees with sql/migrations
            problem = first
        else:  # a bug: its traceback is what to read
            raise
        print(f"{parser.prog} {args.command}: error: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
