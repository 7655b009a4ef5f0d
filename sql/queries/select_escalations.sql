SELECT dedup_key, delivery_date, incident_id, source, target, channel, conn_id, kind, action, due_at, sent_at,
       status, attempts, last_error, reason, payload
FROM delivery_ops.escalations
WHERE delivery_date = %(delivery_date)s
ORDER BY due_at, dedup_key
