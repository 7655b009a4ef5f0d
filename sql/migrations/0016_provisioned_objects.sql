-- Monitoring as code (issue 14): what `delivery-window provision` last deployed, one row per object. The 05:30
-- checks (check_grafana_dashboard, check_datadog_monitors) compare Grafana and Datadog with these rows. Not keyed
-- by delivery date: the dashboard and the monitors are configuration, kept with the record (like silences).
CREATE TABLE IF NOT EXISTS delivery_ops.provisioned_objects (
    system         text NOT NULL CHECK (system IN ('grafana_dashboard', 'datadog_monitor')),
    object_key     text NOT NULL,
    remote_id      text,
    version        integer,
    content_sha    text,
    spec           jsonb NOT NULL DEFAULT '{}'::jsonb,
    last_action    text NOT NULL CHECK (last_action IN ('create', 'update', 'unchanged')),
    provisioned_at timestamptz NOT NULL,
    PRIMARY KEY (system, object_key)
);
COMMENT ON TABLE delivery_ops.provisioned_objects IS
    'What delivery-window provision last deployed: the Grafana dashboard (by uid) and the Datadog monitors of '
    'the alert thresholds (by alert rule). One row per object, replaced by every provision run; the 05:30 '
    'monitoring checks verify Grafana and Datadog against it.';
COMMENT ON COLUMN delivery_ops.provisioned_objects.system IS 'grafana_dashboard or datadog_monitor.';
COMMENT ON COLUMN delivery_ops.provisioned_objects.object_key IS
    'The dashboard uid, or the alert rule a monitor implements (protocol.yaml provisioning.datadog_threshold_rules).';
COMMENT ON COLUMN delivery_ops.provisioned_objects.remote_id IS
    'The id the service gave the object: Grafana''s dashboard id, the Datadog monitor id.';
COMMENT ON COLUMN delivery_ops.provisioned_objects.version IS
    'Grafana''s dashboard version after the save (POST /api/dashboards/db answer); NULL for a monitor.';
COMMENT ON COLUMN delivery_ops.provisioned_objects.content_sha IS
    'sha256 of the dashboard file as provisioned (without id and version); NULL for a monitor.';
COMMENT ON COLUMN delivery_ops.provisioned_objects.spec IS
    'What was sent: a monitor''s name, query and options (thresholds.critical), a dashboard''s title, refresh, '
    'url and panel count.';
COMMENT ON COLUMN delivery_ops.provisioned_objects.last_action IS
    'What the last provision run did: create, update (the object differed or drifted) or unchanged.';
COMMENT ON COLUMN delivery_ops.provisioned_objects.provisioned_at IS 'Wall clock: when the last provision run wrote this row.';
