-- The Delivery window view: the escalation ledger of the day (due, sent, pending, cancelled).
SELECT due_at, target, channel, status, sent_at, source, incident_id
FROM delivery_ops.escalations
WHERE delivery_date = %(day)s
ORDER BY due_at, target, channel
