-- Benchmarks only: the figures of a generated day that the window_runs baseline needs.
SELECT count(*) AS attempts,
       count(*) FILTER (WHERE status = 'failed') AS failed_attempts,
       count(DISTINCT advisor_id) FILTER (WHERE status IN ('delivered', 'read')) AS advisors_delivered,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY api_latency_ms) AS p95_latency_ms
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s
