-- A day's incidents with everything the escalation engine derives facts from.
SELECT incident_id, delivery_date, kind, severity, runbook, opened_at, resolved_at, resolved_by, status, timeline
FROM delivery_ops.incidents
WHERE delivery_date = %(delivery_date)s
ORDER BY incident_id
