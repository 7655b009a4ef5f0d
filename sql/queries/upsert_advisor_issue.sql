-- One advisor who did not get today's content, with what the last error means (06:15 checkpoint).
INSERT INTO delivery_ops.advisor_issues
    (delivery_date, advisor_id, segment, tier, issue, attempts, last_error_code, last_status, error_class, retryable)
VALUES (%(delivery_date)s, %(advisor_id)s, %(segment)s, %(tier)s, %(issue)s, %(attempts)s, %(last_error_code)s,
        %(last_status)s, %(error_class)s, %(retryable)s)
ON CONFLICT (delivery_date, advisor_id) DO UPDATE SET
    segment = EXCLUDED.segment, tier = EXCLUDED.tier, issue = EXCLUDED.issue, attempts = EXCLUDED.attempts,
    last_error_code = EXCLUDED.last_error_code, last_status = EXCLUDED.last_status,
    error_class = EXCLUDED.error_class, retryable = EXCLUDED.retryable
