"""The FastAPI app of the Delivery window view, mounted by Airflow's api-server at :data:`URL_PREFIX`.

Every route requires a logged-in Airflow user allowed to read the DAG (Airflow's own auth: the JWT in the
Authorization header or the UI's ``_token`` cookie); nothing here is public.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from delivery_window.ui import DAG_ID, URL_PREFIX


async def require_dag_reader(request: Request) -> None:
    """Airflow's own checks, called when a request comes: a user (bearer token or the UI's cookie) allowed to
    read the DAG. Imported here, not at module level: the plugin loads in every Airflow process (its listener),
    and Airflow's API security module costs about two seconds to import."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user, requires_access_dag

    user = await get_user(request, None, await bearer_scheme(request))
    requires_access_dag("GET", param_dag_id=DAG_ID)(request, user)


app = FastAPI(
    title="Delivery window",
    description="The day's window at a glance: SLA, chart, checks, alerts, incidents, escalations, handoff.",
    dependencies=[Depends(require_dag_reader)],
)


def _run(dag_id: str, run_id: str) -> dict[str, Any]:
    """The DAG run's params and dates from Airflow's metadata (404 when there is no such run)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        run = session.scalar(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if run is None:
            raise HTTPException(status_code=404, detail=f"no run {run_id!r} of {dag_id}")
        return {"run_id": run.run_id, "run_after": run.run_after, "conf": dict(run.conf or {})}


def _pending_approvals(dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The run's HITL questions still waiting for an answer, each linking to its page in the Airflow UI."""
    from airflow.models.hitl import HITLDetail
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(TaskInstance.task_id, HITLDetail.subject)
            .join(HITLDetail, HITLDetail.ti_id == TaskInstance.id)
            .where(
                TaskInstance.dag_id == dag_id,
                TaskInstance.run_id == run_id,
                HITLDetail.responded_at.is_(None),
            )
        ).all()
    return [
        {
            "task_id": task_id,
            "subject": subject,
            "link": f"/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/required_actions",
        }
        for task_id, subject in rows
    ]


def _view(day: date, scope, dag_id: str | None = None, run_id: str | None = None):
    from dataclasses import replace

    from delivery_window.protocol import get_protocol
    from delivery_window.ui.day_data import load_day, read_only_db
    from delivery_window.window import at

    with read_only_db() as conn:
        view = load_day(conn, day, scope, now=datetime.now(UTC), protocol=get_protocol(), at=at)
    pending = _pending_approvals(dag_id, run_id) if run_id else []
    return replace(view, dag_id=dag_id, run_id=run_id, pending_approvals=pending)


def _run_view(dag_id: str, run_id: str):
    from delivery_window.scope import scope_of_run
    from delivery_window.window import delivery_date_for

    if dag_id != DAG_ID:
        raise HTTPException(status_code=404, detail=f"the Delivery window view shows runs of {DAG_ID} only")
    run = _run(dag_id, run_id)

    class _DagRun:  # what scope_of_run reads of the context's dag_run
        run_after = run["run_after"]

    context = {"params": run["conf"], "dag_run": _DagRun, "run_id": run_id}
    day = delivery_date_for(run["run_after"], run["conf"].get("delivery_date"))
    return _view(day, scope_of_run(context), dag_id, run_id)


def _html(view) -> HTMLResponse:
    from delivery_window.ui.day_page import render_day
    from delivery_window.window import tz

    return HTMLResponse(render_day(view, URL_PREFIX, tz()))


@app.get("/days", response_class=HTMLResponse, summary="The recorded delivery days")
def days_page() -> HTMLResponse:
    from delivery_window.ui.day_data import read_only_db, recorded_days
    from delivery_window.ui.day_page import render_days
    from delivery_window.window import tz

    with read_only_db() as conn:
        return HTMLResponse(render_days(recorded_days(conn), URL_PREFIX, tz()))


@app.get("/days/{day}", response_class=HTMLResponse, summary="One day's record")
def day_page(day: date) -> HTMLResponse:
    from delivery_window.scope import RECORD

    return _html(_view(day, RECORD))


@app.get("/runs/{dag_id}/{run_id}", response_class=HTMLResponse, summary="The day of one DAG run")
def run_page(dag_id: str, run_id: str) -> HTMLResponse:
    return _html(_run_view(dag_id, run_id))


@app.get("/api/days/{day}", summary="One day's record as JSON")
def day_json(day: date) -> dict[str, Any]:
    from delivery_window.scope import RECORD
    from delivery_window.ui.day_page import view_json

    return view_json(_view(day, RECORD))


@app.get("/api/runs/{dag_id}/{run_id}", summary="The day of one DAG run as JSON")
def run_json(dag_id: str, run_id: str) -> dict[str, Any]:
    from delivery_window.ui.day_page import view_json

    return view_json(_run_view(dag_id, run_id))


@app.get("/runbooks/{name}", response_class=HTMLResponse, summary="A runbook, rendered")
def runbook_page(name: str) -> HTMLResponse:
    from delivery_window.ui.runbook_page import render_runbook

    page = render_runbook(name)
    if page is None:
        raise HTTPException(status_code=404, detail=f"no runbook {name!r}")
    return HTMLResponse(page)
