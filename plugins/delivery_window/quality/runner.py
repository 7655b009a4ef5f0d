"""Run suites with GX Core on Postgres (GX's SQL data source: every expectation is an aggregate query).

GX is imported inside :func:`run_suites` only. The data source is built from the Airflow connection
``delivery_db``. Each suite validates a view of the day's rows (``delivery_ops.dq_day_*``, migration 0003); the
day reaches the views as the session setting ``delivery_window.dq_date`` (a libpq ``options`` parameter), as
GX assets take no bind parameters.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import date
from typing import Any

from delivery_window import scope
from delivery_window.masking import masked_logger
from delivery_window.quality import GX_DOCS_LOGGER
from delivery_window.quality.results import could_not_run, summarize
from delivery_window.quality.suites import load_suite

log = masked_logger(__name__)


def sqlalchemy_url(conn: Any) -> str:
    """A ``postgresql+psycopg2`` URL from an Airflow connection (a socket directory host goes in ``?host=``)."""
    from sqlalchemy.engine import URL

    host = conn.host or None
    socket_dir = host if host and host.startswith("/") else None
    url = URL.create(
        "postgresql+psycopg2",
        username=conn.login or None,
        password=conn.password or None,
        host=None if socket_dir else host,
        port=conn.port or None,
        database=conn.schema or None,
        query={"host": socket_dir} if socket_dir else {},
    )
    return url.render_as_string(hide_password=False)


def delivery_db_url(conn_id: str | None = None) -> str:
    """The SQLAlchemy URL of the delivery database from its Airflow connection."""
    from airflow.sdk import BaseHook

    from delivery_window.connections import DELIVERY_DB

    return sqlalchemy_url(BaseHook.get_connection(conn_id or DELIVERY_DB))


def _import_gx():
    logging.getLogger(GX_DOCS_LOGGER).setLevel(logging.WARNING)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no usage statistics from the workers
    import great_expectations as gx

    return gx


def run_suites(names: Sequence[str], day: date, parameters: dict[str, Any], url: str) -> list[dict[str, Any]]:
    """Validate each suite on the day's batch; one result dict per suite (a suite that cannot run fails)."""
    gx = _import_gx()
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    try:
        ctx = gx.get_context(mode="ephemeral")
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
        # GX's Postgres data source rejects a socket-directory URL (?host=/dir, as the embedded pgserver
        # gives); the generic SQL one takes it and runs the same SQLAlchemy queries.
        add = ctx.data_sources.add_sql if "host=" in url.partition("?")[2] else ctx.data_sources.add_postgres
        source = add(
            "delivery_db",
            connection_string=url,
            kwargs={"connect_args": {"options": f"-c delivery_window.dq_date={day.isoformat()}"}},
        )
    except Exception as exc:  # no context or no database: every suite is recorded as not run, with why
        log.warning("data-quality suites could not start: %s", exc)
        return [could_not_run(name, exc) for name in names]
    out = []
    for name in names:
        try:
            spec = load_suite(name)
            schema, view = spec.batch_view.split(".")
            schema = scope.schema_of(schema)  # an evaluation validates its own copy of the day
            asset = source.add_table_asset(name, table_name=view, schema_name=schema)
            batch = asset.add_batch_definition_whole_table(f"{name}_day")
            suite = ExpectationSuite(name=name, meta={"delivery_window": spec.meta.get("description", "")})
            for e in spec.expectations:
                suite.add_expectation_configuration(
                    ExpectationConfiguration(
                        type=e["type"],
                        kwargs=e["kwargs"],
                        meta=e.get("meta"),
                        description=e.get("description"),
                    )
                )
            suite = ctx.suites.add(suite)
            validation = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=suite)
            )
            result = validation.run(expectation_parameters=parameters, result_format="SUMMARY")
            out.append(summarize(name, result.to_json_dict()))
        except Exception as exc:  # recorded as a failed suite with its precise error; the day goes on
            log.warning("suite %s could not run: %s", name, exc)
            out.append(could_not_run(name, exc))
    return out
