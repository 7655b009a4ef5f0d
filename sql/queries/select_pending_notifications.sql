SELECT dedup_key, channel, kind, payload
FROM delivery_ops.notifications
WHERE delivery_date = %(delivery_date)s AND status = 'pending'
ORDER BY created_at, dedup_key
