-- Ledger rows whose message already went out through the outbox (e.g. an alert page the monitor sent before
-- the row was planned) take the outbox's state; still-pending ones take its attempt count and last error.
UPDATE delivery_ops.escalations AS e
SET status = CASE WHEN n.status = 'pending' THEN e.status ELSE n.status END,
    sent_at = coalesce(e.sent_at, n.sent_at),
    attempts = greatest(e.attempts, n.attempts),
    last_error = n.last_error,
    updated_at = now()
FROM delivery_ops.notifications AS n
WHERE e.delivery_date = %(delivery_date)s
  AND e.status = 'pending'
  AND n.dedup_key = e.dedup_key
  AND (n.status <> 'pending' OR n.attempts <> e.attempts)
