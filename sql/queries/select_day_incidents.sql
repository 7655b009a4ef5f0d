SELECT incident_id, delivery_date, severity, runbook, opened_at, resolved_at, status, timeline
FROM delivery_ops.incidents
WHERE delivery_date = %(delivery_date)s
ORDER BY incident_id
