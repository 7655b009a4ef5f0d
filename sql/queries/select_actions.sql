SELECT idempotency_key, runbook, step, endpoint, status, response, last_error, asks, created_at, done_at
FROM delivery_ops.actions
WHERE delivery_date = %(delivery_date)s
ORDER BY created_at, idempotency_key
