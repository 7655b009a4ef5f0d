-- The SEBI notification was filed (or judged not required): its reminders still to come are cancelled.
UPDATE delivery_ops.escalations
SET status = 'cancelled', updated_at = now(), reason = coalesce(reason, '') || '; ' || %(note)s
WHERE incident_id = %(incident_id)s AND status = 'pending' AND source LIKE 'regulatory:%%'
RETURNING dedup_key
