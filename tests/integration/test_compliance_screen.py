"""SEBI content screen (issue 14) against the sandbox's compliance engine and the real report database, without
the DAG: the verdict request, an engine error, a violation's incident and documents, ``compliance notified``'s
refusals. Dates 2026-04-21 … 2026-04-23 (issue 14's range)."""

from __future__ import annotations

import os
from datetime import date

import psycopg
import pytest

from delivery_window import cli
from delivery_window.compliance.document_task import document_compliance_incidents, file_path
from delivery_window.compliance.screen import screen_content_compliance
from delivery_window.escalation import engine
from delivery_window.migrate import apply_migrations
from delivery_window.protocol import get_protocol
from delivery_window.sandbox import generate_day, write_day
from delivery_window.sandbox.scenario_sets.compliance import ERROR_MESSAGE

pytestmark = pytest.mark.integration
P = get_protocol()
ERROR_DAY, VIOLATION_DAY, DOWN_DAY = date(2026, 4, 21), date(2026, 4, 22), date(2026, 4, 23)


@pytest.fixture(scope="module")
def sb(wired_sandbox, db_url, tmp_path_factory):
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn)
        for day in (ERROR_DAY, VIOLATION_DAY, DOWN_DAY):
            write_day(conn, generate_day("healthy", day))
        conn.commit()
    os.environ["DELIVERY_WINDOW_REPORTS_DIR"] = str(tmp_path_factory.mktemp("reports"))
    with wired_sandbox() as sandbox:
        yield sandbox
    os.environ.pop("DELIVERY_WINDOW_REPORTS_DIR", None)


def check_row(db_url, day: date) -> tuple:
    with psycopg.connect(db_url) as conn:
        return conn.execute(
            "SELECT status, message, observed FROM delivery_ops.check_results "
            "WHERE delivery_date = %s AND check_name = 'screen_content_compliance'",
            (day,),
        ).fetchone()


def incidents(db_url, day: date) -> list[str]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT incident_id FROM delivery_ops.incidents WHERE delivery_date = %s", (day,))
        return [r[0] for r in rows.fetchall()]


def test_an_item_the_engine_cannot_judge_is_an_error_and_opens_no_incident(sb, db_url):
    sb.set_scenario("compliance_engine_error")
    sb.clear()
    out = screen_content_compliance(ERROR_DAY)
    assert out["status"] == "error" and out["violations"] == []
    status, message, observed = check_row(db_url, ERROR_DAY)
    assert status == "error" and f"20260421-s4-chart ({ERROR_MESSAGE})" in message
    assert observed["screened"] == 12 and observed["compliant"] == 11
    (request,) = [r for r in sb.requests("compliance") if r["path"].endswith("/v1/verdicts")]
    assert request["method"] == "POST" and request["json"]["delivery_date"] == "2026-04-21"
    assert len(request["json"]["content_ids"]) == 12 and "20260421-s4-chart" in request["json"]["content_ids"]
    assert incidents(db_url, ERROR_DAY) == [] and sb.requests("slack") == []


def test_an_engine_that_cannot_be_asked_is_a_precise_error(sb, db_url):
    sb.set_scenario("healthy", faults={"compliance": "http_503"})
    out = screen_content_compliance(DOWN_DAY)
    status, message, _ = check_row(db_url, DOWN_DAY)
    assert out["status"] == status == "error"
    assert message.startswith("compliance: HTTP 503") and message.endswith(
        "the day's content goes out unverified"
    )
    assert incidents(db_url, DOWN_DAY) == []


def notified(db_url, *args: str) -> int:
    return cli.main(["compliance", "notified", "--db-url", db_url, *args])


def test_a_violation_opens_the_compliance_incident_its_documents_and_the_filing_refusals(sb, db_url, capsys):
    sb.set_scenario("sebi_violation")
    sb.clear()
    out = screen_content_compliance(VIOLATION_DAY)
    incident = f"{VIOLATION_DAY}:compliance_sebi_violation"
    assert out == {**out, "status": "fail", "violations": ["20260422-s2-brief"]}
    assert incidents(db_url, VIOLATION_DAY) == [incident]
    posted = " ".join(str(r["json"]) for r in sb.requests("slack"))
    assert "Legal Counsel" in posted and "Compliance Officer" in posted  # immediate, inside the task
    versions = document_compliance_incidents(VIOLATION_DAY)["documents"][incident]
    assert versions == {"incident_report": 1, "remediation_plan": 1}
    assert (
        document_compliance_incidents(VIOLATION_DAY)["documents"][incident] == versions
    )  # same text: same version
    report = file_path(incident, "incident_report").read_text()
    assert "`20260422-s2-brief` | 2 | `daily_brief_seg2` | R5, R6 |" in report

    # refusals: one line on stderr, exit 2, nothing recorded
    with psycopg.connect(db_url) as conn:  # a business incident that is not a compliance incident
        engine.on_business_event(conn, date(2026, 4, 23), "account_suspended",
                                 engine.task_instant(date(2026, 4, 23), "pre_delivery.x"), P, send=False)  # fmt: skip
    for args, expected in (
        (["--incident", "2026-04-22:nope"], "no incident '2026-04-22:nope'"),
        (["--incident", "2026-04-23:whatsapp_account_suspended"], "is not a compliance incident"),
        (["--incident", incident, "--at", "2099-01-01T00:00"], "--at 2099-01-01T00:00 is in the future"),
        (["--incident", incident, "--at", "2026-04-22T05:00"], "is before the violation was detected"),
        (["--incident", incident, "--at", "yesterday"], "is not an ISO 8601 time"),
    ):
        capsys.readouterr()
        assert notified(db_url, *args, "--reference", "SEBI/IA/1", "--by", "meera") == 2
        err = capsys.readouterr().err
        assert expected in err and err.count("\n") == 1, err
    assert notified(db_url, "--incident", incident, "--at", "2026-04-22T09:00", "--reference", "SEBI/IA/1",
                    "--by", "meera") == 0  # fmt: skip
    assert "incident_report v2, remediation_plan v2" in capsys.readouterr().out
    assert "reference `SEBI/IA/1`" in file_path(incident, "incident_report").read_text()
    assert notified(db_url, "--incident", incident, "--reference", "SEBI/IA/2", "--by", "meera") == 2
    assert "already recorded" in capsys.readouterr().err
    with psycopg.connect(db_url) as conn:
        for (i,) in conn.execute("SELECT incident_id FROM delivery_ops.incidents WHERE delivery_date "
                                 "BETWEEN '2026-04-21' AND '2026-04-23'").fetchall():  # fmt: skip
            engine.resolve(conn, i, engine.task_instant(VIOLATION_DAY, "post_delivery.x"), "test teardown")
        conn.commit()


def test_an_evaluation_rejudges_the_record_and_never_asks_the_engine_or_writes_the_record(sb, db_url):
    """A replay of the violation day re-judges what the record's engine answered (its own schema, nothing sent);
    the record's rows stay as they were."""
    from delivery_window import scope

    schema = "delivery_eval_20260422_compliance"
    with psycopg.connect(db_url) as conn:
        apply_migrations(conn, schema=schema)
        conn.commit()
        before = conn.execute(
            "SELECT status, message, checked_at FROM delivery_ops.check_results WHERE delivery_date = %s "
            "AND check_name = 'screen_content_compliance'",
            (VIOLATION_DAY,),
        ).fetchone()
    sb.set_scenario("healthy")  # today's engine would say compliant: the evaluation must not ask it
    sb.clear()
    scope.enter(scope.RunScope(schema=schema, evaluation_id="20260422_compliance", send=False))
    try:
        out = screen_content_compliance(VIOLATION_DAY, dry_run=True)
    finally:
        scope.enter(scope.RECORD)
    assert out["status"] == "fail" and out["violations"] == ["20260422-s2-brief"]
    assert sb.requests("compliance") == [] and sb.requests("slack") == [] and sb.requests("pagerduty") == []
    with psycopg.connect(db_url) as conn:
        (evaluated,) = conn.execute(
            f"SELECT status FROM {schema}.check_results WHERE check_name = 'screen_content_compliance'"  # noqa: S608
        ).fetchone()
        (incident,) = conn.execute(f"SELECT incident_id FROM {schema}.incidents").fetchone()  # noqa: S608
        statuses = {r[0] for r in conn.execute(f"SELECT status FROM {schema}.escalations").fetchall()}  # noqa: S608
        after = conn.execute(
            "SELECT status, message, checked_at FROM delivery_ops.check_results WHERE delivery_date = %s "
            "AND check_name = 'screen_content_compliance'",
            (VIOLATION_DAY,),
        ).fetchone()
    assert evaluated == "fail" and incident == f"{VIOLATION_DAY}:compliance_sebi_violation"
    assert "sent" not in statuses and after == before
