"""Every query of the Grafana dashboard returns rows for a real day (issue 16), its time follows the date, and the
day's report is written as files too: the Markdown document with its chart beside it.

The day is written as the DAG writes it, without a DAG run: the sandbox's ``failure_burst`` day in the platform
tables, the window monitor replayed over it (ticks, alerts, incidents, messages as a dry run), the 06:05
checkpoint's ``window_runs`` row and items (``checkpoint.py``), then the 06:30 report task itself
(``reports.assemble``). A database of its own, so the panels see this day alone. Grafana substitutes its
variables; here the test does, as Grafana would (``${name}`` → value).
"""

from __future__ import annotations

import json
import re
from datetime import date

import psycopg
import pytest

from delivery_window import checkpoint as cp
from delivery_window import store, window
from delivery_window.connections import DELIVERY_DB, sandbox_connections
from delivery_window.migrate import apply_migrations
from delivery_window.monitor import loop
from delivery_window.paths import INCLUDE_DIR
from delivery_window.protocol import get_protocol
from delivery_window.reports import assemble
from delivery_window.sandbox.scenarios import apply_source_contract, generate_day, write_day

P = get_protocol()
DAY = date(2025, 11, 20)  # a past day: the monitor replays it at once
VARIABLE = re.compile(r"\$\{(\w+)\}")


def dashboard() -> dict:
    return json.loads((INCLUDE_DIR / "grafana" / "delivery_window.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reports_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def day_db(own_database, reports_dir):
    """A database holding one monitored day: its platform rows and the report rows the DAG writes for it."""
    with own_database("grafana") as url, pytest.MonkeyPatch.context() as env:
        # the report task reads through the delivery_db connection and writes its files where it is told
        env.setenv(
            f"AIRFLOW_CONN_{DELIVERY_DB.upper()}",
            sandbox_connections("http://127.0.0.1:9", url, "")[DELIVERY_DB],
        )
        env.setenv(assemble.REPORTS_DIR_ENV, str(reports_dir))
        with psycopg.connect(url) as conn:
            apply_source_contract(conn)
            conn.commit()
            apply_migrations(conn)
            write_day(conn, generate_day("failure_burst", DAY))
            conn.commit()
            summary = loop.run_monitor(conn, DAY, P, dry_run=True, push_series=None, poll_templates=None)
            assert summary.mode == "replay" and summary.alerts_fired
            as_of = window.close(DAY, P)
            targeted, _ = store.active_advisors(conn)
            critical = [
                a for a in store.alerts(conn, DAY) if a["severity"] in ("severity_1", "immediate_page")
            ]
            row = cp.sla_checkpoint(DAY, store.attempts(conn, DAY), targeted, len(critical), as_of, P)
            store.record_window_run(conn, {**row, "run_id": "test_grafana_panels", "mode": "replay"})
            for item in (
                cp.sla_achieved(row),
                cp.advisor_groups_processed(row),
                cp.zero_critical_failures(critical),
            ):
                store.record_check(conn, DAY, item, as_of)
            conn.commit()
        assemble.generate_daily_report(DAY)
        yield url


def queries(dash: dict) -> dict[str, str]:
    """Every SQL text of the dashboard by where it is: panels, annotations, query variables."""
    out = {f"panel {p['id']} {p['title']}": t["rawSql"] for p in dash["panels"] for t in p["targets"]}
    for a in dash["annotations"]["list"]:
        out[f"annotation {a['name']}"] = a["rawQuery"]
        assert a["target"]["rawSql"] == a["rawQuery"]  # the legacy and the current field say the same
    out |= {f"variable {v['name']}": v["query"] for v in dash["templating"]["list"] if v["type"] == "query"}
    return out


def substitute(sql: str, values: dict[str, str]) -> str:
    return VARIABLE.sub(lambda m: values[m.group(1)], sql)


def test_every_panel_annotation_and_variable_query_returns_rows(day_db):
    found = queries(dashboard())
    assert {"panel 12 Alerts", "panel 13 Incidents", "panel 14 Checks and checkpoint items"} <= set(found)
    empty = []
    with psycopg.connect(day_db) as conn:
        for where, sql in found.items():
            assert "$__timeFilter" not in sql, where  # the date chooses the rows, never the time picker
            rows = conn.execute(substitute(sql, {"delivery_date": DAY.isoformat()})).fetchall()
            if not rows:
                empty.append(where)
    assert empty == []


def test_the_time_series_show_06_00_to_06_30_ist_of_the_chosen_date(day_db):
    """The picker's default is 06:00-06:30 IST today; each time series is shifted back whole days to the date."""
    dash = dashboard()
    assert dash["timezone"] == "Asia/Kolkata"
    assert dash["time"] == {"from": "now/d+6h", "to": "now-1d/d+390m"}
    (days_back,) = (v for v in dash["templating"]["list"] if v["name"] == "days_back")
    assert days_back["hide"] == 2  # a computed value, not a choice
    with psycopg.connect(day_db) as conn:
        (shift,) = conn.execute(substitute(days_back["query"], {"delivery_date": DAY.isoformat()})).fetchone()
        today = conn.execute("SELECT (now() AT TIME ZONE 'Asia/Kolkata')::date").fetchone()[0]
    assert shift == f"{(today - DAY).days}d"
    series = [p for p in dash["panels"] if p["type"] == "timeseries"]
    assert len(series) == 6 and all(p["timeShift"] == "${days_back}" for p in series)
    assert all(
        t["format"] == "table" for p in dash["panels"] if p["type"] != "timeseries" for t in p["targets"]
    )


def test_the_report_task_writes_its_markdown_and_chart_side_by_side(day_db, reports_dir):
    with psycopg.connect(day_db) as conn:
        markdown, png, error = conn.execute(
            "SELECT report_markdown, chart_png, chart_error FROM delivery_ops.daily_reports WHERE delivery_date = %s",
            (DAY,),
        ).fetchone()
    md = reports_dir / f"delivery-window-{DAY}.md"
    assert md.read_text(encoding="utf-8") == markdown
    if error:  # no matplotlib here: the Markdown says why, and there is no PNG
        assert png is None and not md.with_suffix(".png").exists()
        return
    (link,) = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert (reports_dir / link).read_bytes() == bytes(png)  # the Markdown's link opens the row's chart
