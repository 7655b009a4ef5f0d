-- The Delivery window view: the monitor's overall ticks (cumulative counts), for the per-minute chart.
SELECT tick_at, attempts, failed, success_rate_pct, error_rate_pct, rate_per_min, p95_latency_ms
FROM delivery_ops.metric_ticks
WHERE delivery_date = %(day)s AND scope = 'overall'
ORDER BY tick_at
