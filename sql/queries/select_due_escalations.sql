-- Steps to send now: still pending and due by the follow-up's clock.
SELECT dedup_key, incident_id, channel, conn_id, kind, payload, due_at
FROM delivery_ops.escalations
WHERE delivery_date = %(delivery_date)s AND status = 'pending' AND due_at <= %(as_of)s
ORDER BY due_at, dedup_key
