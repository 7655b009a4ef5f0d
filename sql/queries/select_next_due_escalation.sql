-- When the next pending escalation step of the recent delivery dates falls due (after %(as_of)s).
SELECT min(due_at) AS next_due
FROM delivery_ops.escalations
WHERE status = 'pending' AND due_at > %(as_of)s AND delivery_date >= %(since)s
