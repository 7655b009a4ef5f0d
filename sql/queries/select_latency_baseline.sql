-- The p95 latency of the days before a delivery date (window_runs), for the latency_vs_baseline rule.
SELECT delivery_date, p95_latency_ms
FROM delivery_ops.window_runs
WHERE delivery_date < %(delivery_date)s AND delivery_date >= %(since)s AND p95_latency_ms IS NOT NULL
ORDER BY delivery_date
