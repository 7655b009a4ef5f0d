"""`delivery-window` answers bad input with one line on stderr and exit status 2, before anything starts.

Each case would otherwise print a traceback (a date that is no date, an unknown scenario) or start the sandbox and
Airflow first (a future date: every task then failed with the same reason, about 60 tracebacks).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from delivery_window import cli, runtime

FUTURE = (date.today() + timedelta(days=30)).isoformat()


@pytest.fixture
def nothing_starts(monkeypatch):
    """Fail the test if a command gets as far as a database, the sandbox or Airflow."""

    def started(*args, **kwargs):
        raise AssertionError("the command started work on bad input")

    for name in ("database_url", "dsn_connect", "configure_airflow", "run_dag"):
        monkeypatch.setattr(runtime, name, started)
    monkeypatch.setattr(cli, "prepare_day", started)
    monkeypatch.setattr(cli, "run_day", started)


def one_line_error(capsys, argv: list[str]) -> str:
    """Run the command; assert exit 2 and exactly one line on stderr, no traceback; return that line."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    assert len(err.splitlines()) == 1, err
    return err.rstrip("\n")


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["replay", "--date", "2026-13-01"],
            "delivery-window replay: error: argument --date: '2026-13-01' is not a date YYYY-MM-DD (month must "
            "be in 1..12)",
        ),
        (
            ["demo", "--date", "25/11/2026"],
            "delivery-window demo: error: argument --date: '25/11/2026' is not a date YYYY-MM-DD",
        ),
        (
            ["demo", "--scenario", "nope"],
            "delivery-window demo: error: argument --scenario: invalid choice: 'nope' (choose from 'healthy', ",
        ),
        (
            ["replay", "--date", FUTURE],
            f"delivery-window replay: error: delivery_date {FUTURE} is in the future (today is ",
        ),
        (["demo", "--date", FUTURE], f"delivery-window demo: error: delivery_date {FUTURE} is in the future"),
        (
            ["replay", "--date", "2025-12-31"],
            "delivery-window replay: error: delivery_date 2025-12-31 is before the DAG's start date 2026-01-01",
        ),
        (
            ["demo", "--date", "2025-12-31"],
            "delivery-window demo: error: delivery_date 2025-12-31 is before the DAG's start date 2026-01-01",
        ),
        (["replay"], "delivery-window replay: error: the following arguments are required: --date"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_before_anything_starts(capsys, nothing_starts, argv, line):
    assert one_line_error(capsys, argv).startswith(line)


def test_every_scenario_is_a_choice_with_a_one_line_description_in_help(capsys):
    from delivery_window.sandbox.scenarios import REGISTRY

    assert cli.main(["demo", "--help"]) == 0
    text = capsys.readouterr().out
    listed = text.split("scenarios:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == list(REGISTRY)
    for line, scenario in zip(listed, REGISTRY.values(), strict=True):
        assert len(line) <= 100, line
        assert scenario.description.split()[0] in line  # the start of its description
    for name in REGISTRY:  # every listed scenario is accepted
        assert cli.build_parser().parse_args(["demo", "--scenario", name]).scenario == name


def test_a_good_date_is_parsed_to_a_date_and_the_default_is_yesterday():
    parser = cli.build_parser()
    assert parser.parse_args(["replay", "--date", "2026-06-01"]).date == date(2026, 6, 1)
    assert cli._day(parser.parse_args(["demo"]).date) == date.today() - timedelta(days=1)


def test_today_and_the_start_date_are_runnable():
    from delivery_window.run_params import context_today
    from delivery_window.window import tz

    today = context_today(tz())
    assert cli.runnable_day(today) == today  # at 05:30 the day's attempts do not exist yet: still runnable
    assert cli.runnable_day(date(2026, 1, 1)) == date(2026, 1, 1)
