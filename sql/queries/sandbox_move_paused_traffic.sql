-- Sandbox only (the delivery service's own table, in the sandbox's world): a sender number paused at
-- %(effective_at)s carries no attempt made after it; those sends go out on the other numbers, round-robin, and are
-- delivered as on a healthy number (the sandbox's pause applied to its generated day, live or replayed).
WITH moved AS (
    SELECT attempt_id, (row_number() OVER (ORDER BY attempted_at, attempt_id) - 1) AS k
    FROM platform.delivery_attempts
    WHERE delivery_date = %(delivery_date)s AND phone_number_id = %(number)s AND attempted_at >= %(effective_at)s
)
UPDATE platform.delivery_attempts d
SET phone_number_id = (%(others)s::text[])[1 + (m.k %% cardinality(%(others)s::text[]))],
    status = 'delivered', error_code = NULL,
    status_at = d.attempted_at + make_interval(secs => (d.api_latency_ms + 1500) / 1000.0)
FROM moved m
WHERE d.attempt_id = m.attempt_id
RETURNING d.attempt_id
