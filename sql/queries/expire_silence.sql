-- Stop a silence now (never later than its end); expiring twice keeps the first expiry.
UPDATE delivery_ops.silences
SET expired_at = LEAST(ends_at, %(at)s)
WHERE silence_id = %(silence_id)s AND expired_at IS NULL
RETURNING silence_id
