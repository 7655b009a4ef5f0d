"""Great Expectations data-quality suites (``include/gx``) run on Postgres through GX's SQL data source.

Nothing here imports great_expectations at module level: ``runner`` imports it inside the task, after
silencing the ~200 INFO records its import logs (Airflow notes §11, fix A). This module sets that level at
import too, so anything importing the package first (the DAG's task modules) is covered.
"""

import logging

GX_DOCS_LOGGER = "great_expectations._docs_decorators"
logging.getLogger(GX_DOCS_LOGGER).setLevel(logging.WARNING)
