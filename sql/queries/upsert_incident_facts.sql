-- Create an incident or merge what is now known about it (issue 5): the earliest opening, the worst severity
-- (minor < major < critical), the first kind and runbook recorded. Never touches status or the timeline.
INSERT INTO delivery_ops.incidents (incident_id, delivery_date, severity, runbook, opened_at, status, timeline, kind)
VALUES (%(incident_id)s, %(delivery_date)s, %(severity)s, %(runbook)s, %(opened_at)s, 'open', '[]'::jsonb, %(kind)s)
ON CONFLICT (incident_id) DO UPDATE SET
    opened_at = LEAST(delivery_ops.incidents.opened_at, EXCLUDED.opened_at),
    severity = CASE
        WHEN array_position(ARRAY['minor', 'major', 'critical'], EXCLUDED.severity)
             > coalesce(array_position(ARRAY['minor', 'major', 'critical'], delivery_ops.incidents.severity), 0)
        THEN EXCLUDED.severity ELSE delivery_ops.incidents.severity END,
    kind = coalesce(delivery_ops.incidents.kind, EXCLUDED.kind),
    runbook = coalesce(delivery_ops.incidents.runbook, EXCLUDED.runbook)
