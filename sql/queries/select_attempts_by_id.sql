-- The monitor's read of attempts it never saw (rows written after the read of their time: monitor/source.py
-- read_attempts), in the packed layout of select_attempt_changes.sql's rows (monitor/state.py WIRE).
SELECT coalesce(string_agg(
           int8send(attempt_id)
           || timestamptz_send(attempted_at)
           || timestamptz_send(coalesce(status_at, attempted_at))
           || int8send(hashtextextended(advisor_id, 0))
           || int8send(hashtextextended(phone_number_id, 0))
           || int8send((coalesce(error_code, -1)::int8 << 32) | (coalesce(api_latency_ms, 0)::int8 & 4294967295))
           || int4send((coalesce(segment, 0)::int4 << 16) | CASE WHEN status IN ('sent', 'delivered', 'read', 'failed') THEN ascii(status) ELSE 0 END),
           ''::bytea), ''::bytea) AS rows
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s AND attempt_id = ANY(%(ids)s)
