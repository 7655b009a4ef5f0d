-- Lock one pending outbox row for sending; a concurrent flush skips it (no message is sent twice at once).
SELECT dedup_key, channel, kind, payload
FROM delivery_ops.notifications
WHERE dedup_key = %(dedup_key)s AND status = 'pending'
FOR UPDATE SKIP LOCKED
