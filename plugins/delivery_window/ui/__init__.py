"""The "Delivery window" view inside the Airflow UI (an Airflow plugin) and the run notes on the grid.

``plugin`` registers a FastAPI app (the pages and their JSON), two external views (a tab on each run of the DAG
and a "Delivery days" entry in the navigation) and a listener writing each run's note. ``day_view`` builds what
a page shows from recorded rows (pure), ``day_page`` renders it, ``day_data`` reads it from ``delivery_ops``.
"""

URL_PREFIX = "/delivery-window"  # where Airflow's api-server mounts the view's app
DAG_ID = "delivery_window"


def runbook_link(doc: str) -> str:
    """A Markdown link from a task's docs to the rendered runbook ``doc`` (``include/runbooks/<name>.md``)."""
    name = doc.rsplit("/", 1)[-1].removesuffix(".md")
    return f"[{doc}]({URL_PREFIX}/runbooks/{name})"
