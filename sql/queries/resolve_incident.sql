-- Mark an open incident resolved (the follow-up then cancels its steps that were not due yet).
UPDATE delivery_ops.incidents
SET status = 'resolved', resolved_at = %(resolved_at)s, resolved_by = %(resolved_by)s
WHERE incident_id = %(incident_id)s AND status = 'open'
RETURNING incident_id
