-- All send attempts of a delivery day, in send order.
SELECT attempt_id, advisor_id, segment, phone_number_id, attempted_at, api_latency_ms, status, error_code,
       status_at
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s
ORDER BY attempted_at, attempt_id
