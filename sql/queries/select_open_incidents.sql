-- Incidents still open at the handoff, of this delivery day or before (pending issues).
SELECT incident_id, delivery_date, severity, runbook, opened_at
FROM delivery_ops.incidents
WHERE status = 'open' AND delivery_date <= %(delivery_date)s
ORDER BY delivery_date, incident_id
