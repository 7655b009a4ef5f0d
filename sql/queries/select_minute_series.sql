-- The report chart: per minute of the window, attempts, failures and p95 API latency (aggregated in Postgres,
-- so a million-attempt day returns a handful of rows).
SELECT date_trunc('minute', attempted_at) AS minute,
       count(*) AS attempts,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       percentile_disc(0.95) WITHIN GROUP (ORDER BY api_latency_ms) AS p95_latency_ms
FROM platform.delivery_attempts
WHERE delivery_date = %(delivery_date)s AND attempted_at >= %(start)s AND attempted_at < %(end)s
GROUP BY 1
ORDER BY 1
