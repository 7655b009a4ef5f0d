-- The briefing's incident log: incidents opened in (%(since)s, %(until)s], plus the delivery day's own incidents
-- (a replay records wall-clock opened_at, which may fall outside the day's 24 hours).
SELECT incident_id, delivery_date, severity, runbook, opened_at, resolved_at, status, timeline
FROM delivery_ops.incidents
WHERE (opened_at > %(since)s AND opened_at <= %(until)s) OR delivery_date = %(delivery_date)s
ORDER BY delivery_date, incident_id
