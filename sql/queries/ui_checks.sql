-- The Delivery window view: the day's checks with their status (pass, warn, fail, error, not_observed).
SELECT check_name, phase, status, message, checked_at
FROM delivery_ops.check_results
WHERE delivery_date = %(day)s
ORDER BY checked_at, check_name
