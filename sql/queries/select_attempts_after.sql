-- The day's attempts made in [since, until]: a runbook's success criterion is measured from them (issue 13).
-- Rows without an attempt time cannot be placed after an action and are left out by the comparison.
SELECT attempted_at, status, status_at, phone_number_id, template_name, segment
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s AND attempted_at >= %(since)s AND attempted_at <= %(until)s
ORDER BY attempted_at
