-- The Delivery window view: the day's incidents and their timelines.
SELECT incident_id, kind, severity, runbook, status, opened_at, resolved_at, resolved_by, timeline
FROM delivery_ops.incidents
WHERE delivery_date = %(day)s
ORDER BY opened_at, incident_id
