"""What `delivery-window demo` prints: Airflow's, GX's and platformdirs' known-harmless warnings are recognised by
name (logger + message, or warnings category + message) and kept off the terminal, never an error; the log file
gets everything. Also the per-phase progress lines and the parser's help texts."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta

import pytest

from delivery_window import cli, console_log, demo_progress

# Chunks as the demo writes them (one write each), copied from a demo's log and shortened.
NO_TASKS = (
    "2026-12-07T23:32:04.184544Z [warning  ] No tasks to run. unrunnable tasks: {<TaskInstance: "
    "delivery_window.post_delivery.identify_advisor_issues manual__2026-12-06T05:30:00+05:30 [None] "
    "ti_id=01a252d9-6fc5-7877-b7ea-d49f6b3ee789>, <TaskInstance: delivery_window.post_delivery.wait_until_0605 "
    "manual__2026-12-06T05:30:00+05:30 [deferred]>} [airflow.sdk.definitions.dag] loc=dag.py:1424\n"
)
GX_CAPTURED = (  # logging.captureWarnings: the formatted warning is the message
    "2026-12-07T23:32:16.079831Z [warning  ] /venv/site-packages/great_expectations/datasource/fluent/"
    "sql_datasource.py:1422: GxDatasourceWarning: You are using a generic SQLDatasource but a more specific "
    "PostgresDatasource may be more appropriate https://docs.greatexpectations.io/docs/guides\n"
    "  warnings.warn(\n [py.warnings] filename=warnings.py lineno=109\n"
)
GX_STRUCTLOG = (  # Airflow's own warnings interceptor: the category is a field
    "2026-12-07T23:32:16.079831Z [warning  ] You are using a generic SQLDatasource but a more specific "
    "PostgresDatasource may be more appropriate [py.warnings] category=GxDatasourceWarning "
    "filename=/venv/sql_datasource.py lineno=1422\n"
)
CRYPTO = (
    "2026-12-07T23:31:57.054503Z [warning  ] empty cryptography key - values will not be stored encrypted. "
    "[airflow.models.crypto] correlation_id=01a252d9-85f6 loc=crypto.py:169 ti_id=01a252d9-6f8f\n"
)
PLATFORMDIRS = (  # printed by warnings.showwarning before any logging is set up
    "/venv/site-packages/platformdirs/api.py:441: RuntimeDirWarning: XDG_RUNTIME_DIR is not set, falling back "
    "to /tmp/runtime-0\n  return Path(self.user_runtime_dir)\n"
)
NO_OWNER = (
    "2026-12-07T23:31:56.295883Z [warning  ] connection delivery_db_owner is not defined; migrating with "
    "delivery_db [delivery_window.migrate] loc=migrate.py:88\n"
)


@pytest.mark.parametrize(
    ("chunk", "by"),
    [
        (NO_TASKS, "logger"),
        (GX_CAPTURED, "category"),
        (GX_STRUCTLOG, "category"),
        (CRYPTO, "logger"),
        (PLATFORMDIRS, "category"),
        (NO_OWNER, "logger"),
    ],
)
def test_each_known_harmless_warning_is_recognised_by_name(chunk, by):
    entry = console_log.harmless(chunk)
    assert entry is not None, console_log.parse(chunk)
    msg = console_log.parse(chunk)
    assert getattr(entry, by) == (msg.logger if by == "logger" else msg.category)
    assert entry.why  # every entry says why it is harmless


def test_the_parse_finds_the_logger_after_a_message_holding_brackets():
    msg = console_log.parse(NO_TASKS)
    assert (msg.level, msg.logger, msg.category) == ("warning", "airflow.sdk.definitions.dag", None)
    assert msg.text.startswith("No tasks to run.") and msg.text.endswith("[deferred]>}")
    gx = console_log.parse(GX_CAPTURED)
    assert (gx.logger, gx.category) == ("py.warnings", "GxDatasourceWarning")
    assert gx.text.startswith("You are using a generic SQLDatasource")


def as_level(chunk: str, level: str) -> str:
    return chunk.replace("[warning  ]", f"[{level.ljust(9)}]")


@pytest.mark.parametrize("chunk", [NO_TASKS, GX_CAPTURED, GX_STRUCTLOG, CRYPTO, NO_OWNER])
@pytest.mark.parametrize("level", ["error", "critical", "exception", "fatal"])
def test_an_error_is_never_dropped_whatever_it_says(chunk, level):
    assert console_log.harmless(as_level(chunk, level)) is None


@pytest.mark.parametrize(
    "chunk",
    [
        # the right message from another logger, or the right logger with another message
        NO_TASKS.replace("[airflow.sdk.definitions.dag]", "[delivery_window.monitor.task]"),
        NO_TASKS.replace("No tasks to run.", "Tasks stuck."),
        CRYPTO.replace("[airflow.models.crypto]", "[airflow.models.connection]"),
        # the right message as another warnings category
        GX_CAPTURED.replace("GxDatasourceWarning", "DeprecationWarning"),
        PLATFORMDIRS.replace("RuntimeDirWarning", "UserWarning"),
        # a harmless message that carries a traceback
        NO_TASKS.rstrip("\n")
        + '\nTraceback (most recent call last):\n  File "x.py", line 1\nValueError: x\n',
        # our own lines and the report
        "pre-delivery   done: 39 tasks, 31 success, 8 skipped (+12 s)\n",
        "SLA                   99.85% (target 99%) MET",
        "\n",
        "",
        "2026-12-07T23:32:18Z [warning  ] a warning of ours [delivery_window.checks.record] loc=record.py:1\n",
    ],
)
def test_anything_else_is_printed(chunk):
    assert console_log.harmless(chunk) is None


def test_colour_codes_do_not_hide_a_name():
    import structlog

    render = structlog.dev.ConsoleRenderer(colors=True)
    event = {
        "timestamp": "2026-12-07T23:31:57.054503Z",
        "level": "warning",
        "event": "empty cryptography key - values will not be stored encrypted.",
        "logger": "airflow.models.crypto",
        "loc": "crypto.py:169",
    }
    coloured = render(None, "warning", dict(event)) + "\n"
    assert "\x1b[" in coloured
    assert console_log.harmless(coloured) is not None
    assert console_log.harmless(render(None, "error", {**event, "level": "error"}) + "\n") is None
    plain = structlog.dev.ConsoleRenderer(colors=False)(None, "warning", dict(event)) + "\n"
    assert console_log.parse(plain) == console_log.parse(coloured)


def test_the_tee_writes_everything_to_the_log_and_the_rest_to_the_terminal():
    console, log, counts = io.StringIO(), io.StringIO(), {}
    tee = console_log._Tee(console, log, counts)
    for chunk in (NO_TASKS, "our line", "\n", CRYPTO, as_level(CRYPTO, "error"), NO_TASKS):
        tee.write(chunk)
    assert log.getvalue() == NO_TASKS + "our line\n" + CRYPTO + as_level(CRYPTO, "error") + NO_TASKS
    assert console.getvalue() == "our line\n" + as_level(CRYPTO, "error")
    assert sorted(counts.values()) == [1, 2]


def test_captured_swaps_the_streams_back_and_keeps_a_traceback_in_the_log(tmp_path):
    path = tmp_path / "build" / "demo.log"
    out, err = sys.stdout, sys.stderr
    with pytest.raises(RuntimeError), console_log.captured(path) as capture:
        print("progress")
        sys.stderr.write(PLATFORMDIRS)
        raise RuntimeError("boom")
    assert (sys.stdout, sys.stderr) == (out, err)
    text = path.read_text()
    assert text.startswith("progress\n" + PLATFORMDIRS)
    assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    assert capture.left_off_total == 1


def test_a_phase_line_is_printed_once_when_all_its_tasks_have_finished():
    t0 = datetime(2026, 12, 6, 0, 0, tzinfo=UTC)
    at = t0 + timedelta(seconds=12)
    tis = [
        ("pre_delivery.migrate_report_schema", "success", at - timedelta(seconds=5)),
        ("pre_delivery.infrastructure.check_redis", "success", at),
        ("pre_delivery.pre_window.proceed_as_planned", "skipped", at - timedelta(seconds=1)),
        ("delivery.monitor_window", "running", None),
        ("delivery.choose_runbook", None, None),
        ("remediation_watcher", None, None),
    ]
    assert demo_progress.phase_lines(tis, t0, set()) == [
        ("pre_delivery", "pre-delivery   done: 3 tasks, 2 success, 1 skipped (+12 s)")
    ]
    assert demo_progress.phase_lines(tis, t0, {"pre_delivery"}) == []
    finished = [
        *tis[:3],
        ("delivery.monitor_window", "failed", at),
        ("delivery.choose_runbook", "upstream_failed", at),
    ]
    assert demo_progress.phase_lines(finished, t0, {"pre_delivery"}) == [
        ("delivery", "delivery       done: 2 tasks, 1 failed, 1 upstream_failed (+12 s)")
    ]


def test_the_parser_description_names_the_airflow_command_without_literal_backticks(capsys):
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "``" not in text
    assert '"delivery-window airflow"' in text and "login admin / admin" in text


def test_every_command_taking_a_scenario_lists_them_with_a_line_each(capsys):
    from delivery_window.sandbox.scenarios import REGISTRY

    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    taking = [name for name, sub in commands.items() if "--scenario" in sub._option_string_actions]
    assert taking == ["demo", "sandbox", "airflow"]
    for name in taking:
        assert cli.main([name, "--help"]) == 0
        listed = capsys.readouterr().out.split("scenarios:\n", 1)[1].splitlines()
        assert [line.split()[0] for line in listed] == list(REGISTRY), name
        assert all(len(line) <= 100 for line in listed)


def test_a_database_that_cannot_be_reached_is_one_line_and_exit_2(capsys, monkeypatch):
    import psycopg

    def refused(url):
        raise psycopg.OperationalError(
            'connection failed: connection to server at "127.0.0.1", port 1 failed'
        )

    monkeypatch.setattr(cli.runtime, "dsn_connect", refused)
    monkeypatch.setenv("DELIVERY_DB_URL", "postgresql://nobody@127.0.0.1:1/x")
    for argv in (["silence", "list"], ["incident", "close", "--incident", "x", "--by", "y", "--reason", "z"]):
        assert cli.main(argv) == 2
        out, err = capsys.readouterr()
        assert err.count("\n") == 1 and "Traceback" not in err + out, err
        assert err.startswith(f"delivery-window {argv[0]}: error: database unavailable: connection failed")


def test_an_edited_migration_is_one_line_and_exit_2(capsys, monkeypatch, tmp_path):
    from delivery_window.migrate import MigrationError

    def edited(url, scenario, day, *, source_contract=False):
        raise MigrationError(
            "migration 0012_x was edited after it was applied (checksum a != b); add a new one"
        )

    monkeypatch.setattr(cli, "prepare_day", edited)
    monkeypatch.setattr(cli.runtime, "database_url", lambda name, prefer_local: "postgresql://x/y")
    monkeypatch.setattr(cli.runtime, "port_open", lambda host, port, timeout=0.5: False)
    monkeypatch.setattr(cli.runtime, "BUILD", tmp_path)
    assert cli.main(["airflow", "--port", "8092"]) == 2
    out, err = capsys.readouterr()
    assert (
        err
        == "delivery-window airflow: error: migration 0012_x was edited after it was applied (checksum a != b); add a new one\n"
    )


def test_a_bug_is_not_turned_into_a_usage_error(monkeypatch):
    def bug(url):
        raise KeyError("a bug")

    monkeypatch.setattr(cli.runtime, "dsn_connect", bug)
    monkeypatch.setenv("DELIVERY_DB_URL", "postgresql://nobody@127.0.0.1:1/x")
    with pytest.raises(KeyError):
        cli.main(["silence", "list"])
