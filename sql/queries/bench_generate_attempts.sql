-- Benchmarks only (bench/monitor_*.py, their own database): %(n)s attempts of one day, evenly spread over
-- %(span_ms)s ms from %(start)s, one per advisor, across %(numbers)s sender numbers. Latency is lognormal around
-- 380 ms (p95 ~ 680 ms); %(fail_share)s fail (0.005 = 0.5 %%), 0.3 %% stay "sent", 40 %% are read. Deterministic
-- for a seed (setseed).
INSERT INTO platform.delivery_attempts
    (attempt_id, delivery_date, advisor_id, segment, phone_number_id, template_name, wamid, attempted_at,
     api_latency_ms, status, error_code, status_at)
SELECT %(base_id)s + g,
       %(delivery_date)s,
       'BA' || lpad(g::text, 7, '0'),
       1 + (g - 1) %% 4,
       '1065' || lpad(((g - 1) %% %(numbers)s)::text, 6, '0'),
       'daily_brief_seg' || (1 + (g - 1) %% 4),
       NULL,
       at,
       lat,
       CASE WHEN u3 < %(fail_share)s THEN 'failed' WHEN u3 < 0.008 THEN 'sent' WHEN u3 < 0.408 THEN 'read'
            ELSE 'delivered' END,
       CASE WHEN u3 < %(fail_share)s THEN (CASE WHEN u4 < 0.5 THEN 131026 ELSE 131000 END) END,
       at + make_interval(secs => (lat + CASE WHEN u3 < 0.008 THEN 100 + u4 * 700
                                              WHEN u3 < 0.408 THEN 2700 + u4 * 30000
                                              ELSE 700 + u4 * 3300 END) / 1000.0)
FROM (
    SELECT g, u3, u4,
           %(start)s::timestamptz + make_interval(secs => (g - 1) * (%(span_ms)s::float8 / %(n)s) / 1000.0) AS at,
           greatest(60, round(exp(5.94 + 0.35 * sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2))))::int AS lat
    FROM (SELECT g, random() AS u1, random() AS u2, random() AS u3, random() AS u4
          FROM generate_series(1, %(n)s) AS g) AS r
) AS s
