"""The Airflow plugin of the package (entry point ``airflow.plugins`` in pyproject.toml).

Extension points, and why: ``fastapi_apps`` serves the view's pages and JSON inside Airflow's api-server (same
origin and same login as the UI, no second server); ``external_views`` puts them in the UI as a "Delivery
window" tab on each run of the DAG (``destination: dag_run``) and a "Delivery days" entry in the navigation;
``listeners`` writes each run's note (``run_notes``). Nothing here connects to anything at import time, and
the FastAPI app is imported only by the api-server.
"""

from __future__ import annotations

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

from delivery_window.masking import masked_logger
from delivery_window.ui import DAG_ID, URL_PREFIX

log = masked_logger(__name__)


class RunNoteListener:
    """Writes the run notes; a failure is logged and never fails the run or the scheduler."""

    @hookimpl
    def on_dag_run_running(self, dag_run, msg: str):
        self._note(dag_run, started=True)

    @hookimpl
    def on_dag_run_success(self, dag_run, msg: str):
        self._note(dag_run, started=False)

    @hookimpl
    def on_dag_run_failed(self, dag_run, msg: str):
        self._note(dag_run, started=False)

    @staticmethod
    def _note(dag_run, *, started: bool) -> None:
        if dag_run.dag_id != DAG_ID:
            return
        from delivery_window.ui import run_notes

        run_id = dag_run.run_id
        try:
            (run_notes.note_started if started else run_notes.note_finished)(dag_run)
        except Exception as exc:  # a note is a convenience: the run's outcome is in its tasks and the record
            log.warning("could not write the note of %s: %s: %s", run_id, type(exc).__name__, exc)


class DeliveryWindowPlugin(AirflowPlugin):
    """The Delivery window view and the run notes."""

    name = "delivery_window"

    @property
    def fastapi_apps(self) -> list[dict]:
        # Built when the api-server asks: every other process loads the plugin for its listener only, and
        # importing FastAPI there would add about 0.6 s to each task's start.
        from delivery_window.ui.app import app

        return [{"app": app, "url_prefix": URL_PREFIX, "name": "Delivery window"}]

    external_views = [
        {
            "name": "Delivery window",
            "href": f"{URL_PREFIX}/runs/{{DAG_ID}}/{{RUN_ID}}",
            "destination": "dag_run",
            "url_route": "delivery-window",
        },
        {
            "name": "Delivery days",
            "href": f"{URL_PREFIX}/days",
            "destination": "nav",
            "category": "browse",
            "url_route": "delivery-days",
        },
    ]
    listeners = [RunNoteListener()]
