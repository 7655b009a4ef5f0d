-- bench/quality_suites.py only: %(n)s synthetic attempts for %(delivery_date)s, spread over 06:00-06:05 IST
-- (%(start)s), shaped like a healthy day: 0.6%% failed with a code, 40%% read, the rest delivered.
INSERT INTO platform.delivery_attempts
    (attempt_id, delivery_date, advisor_id, segment, phone_number_id, template_name, wamid, attempted_at,
     api_latency_ms, status, error_code, status_at)
SELECT %(base_id)s + g,
       %(delivery_date)s,
       'ADV' || lpad((g %% %(advisors)s)::text, 7, '0'),
       1 + g %% 4,
       '10655501' || lpad((g %% 42)::text, 2, '0'),
       'daily_brief_seg' || (1 + g %% 4),
       'wamid.BENCH' || g,
       %(start)s::timestamptz + (g * 285.0 / %(n)s) * interval '1 second',
       200 + (g * 7919::bigint) %% 900,
       CASE WHEN g %% 167 = 0 THEN 'failed' WHEN g %% 5 < 2 THEN 'read' ELSE 'delivered' END,
       CASE WHEN g %% 167 = 0 THEN 131000 END,
       %(start)s::timestamptz + (g * 285.0 / %(n)s) * interval '1 second' + interval '3 seconds'
FROM generate_series(1, %(n)s) AS g
