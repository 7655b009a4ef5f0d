-- One incident per day and runbook; the timeline only grows (entries are deduplicated by their step).
INSERT INTO delivery_ops.incidents (incident_id, delivery_date, severity, runbook, opened_at, status, timeline)
VALUES (%(incident_id)s, %(delivery_date)s, %(severity)s, %(runbook)s, %(opened_at)s, 'open', '[]'::jsonb)
ON CONFLICT (incident_id) DO UPDATE SET severity = EXCLUDED.severity
