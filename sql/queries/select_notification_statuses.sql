-- Outbox status of given notifications (the monitor records on the incident timeline what was actually sent).
SELECT dedup_key, status, sent_at
FROM delivery_ops.notifications
WHERE dedup_key = ANY(%(keys)s)
