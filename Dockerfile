# Airflow image with the delivery_window package and its providers baked in.
# Built by docker-compose.yaml (`docker compose build`). Extending the official image is the documented
# alternative to _PIP_ADDITIONAL_REQUIREMENTS, which would reinstall everything on every container start.
FROM apache/airflow:3.3.2-python3.11

# The build inputs go to a scratch directory, not to AIRFLOW_HOME. hatchling needs README.md because
# pyproject.toml names it as `readme`.
COPY --chown=airflow:0 pyproject.toml README.md /tmp/delivery-window/
COPY --chown=airflow:0 plugins/ /tmp/delivery-window/plugins/

# Pin apache-airflow to the base image's version so the resolver cannot up- or downgrade the core while it
# installs our providers (postgres, http, slack, pagerduty, redis, common-sql) and great-expectations.
RUN pip install --no-cache-dir "apache-airflow==3.3.2" /tmp/delivery-window \
 && rm -rf /tmp/delivery-window

# Runtime files the package reads through delivery_window.paths (protocol.yaml, runbooks, migrations, queries).
# docker-compose.yaml mounts the working copies over these for development. Without the mounts, the image runs
# on its own (for example on Kubernetes).
COPY --chown=airflow:0 include/ /opt/airflow/include/
COPY --chown=airflow:0 sql/ /opt/airflow/sql/
ENV DELIVERY_WINDOW_HOME=/opt/airflow

# The package defines no AirflowPlugin. If Airflow's plugins folder held its source, the plugin loader would exec
# every .py file as a top-level module, and sandbox/__main__.py would end the process with SystemExit(2).
# An empty folder avoids that. plugins/ is imported as a package instead (see docker-compose.yaml).
ENV AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/airflow-plugins
