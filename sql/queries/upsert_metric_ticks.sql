-- One tick's metrics for every scope in one statement (arrays of equal length, one element per scope).
INSERT INTO delivery_ops.metric_ticks
    (delivery_date, tick_at, scope, attempts, resolved, delivered, failed, success_rate_pct, error_rate_pct,
     rate_per_min, p95_latency_ms)
SELECT %(delivery_date)s, %(tick_at)s, r.*
FROM unnest(%(scope)s::text[], %(attempts)s::int[], %(resolved)s::int[], %(delivered)s::int[],
            %(failed)s::int[], %(success_rate_pct)s::numeric[], %(error_rate_pct)s::numeric[],
            %(rate_per_min)s::int[], %(p95_latency_ms)s::int[])
     AS r(scope, attempts, resolved, delivered, failed, success_rate_pct, error_rate_pct, rate_per_min,
          p95_latency_ms)
ON CONFLICT (delivery_date, tick_at, scope) DO UPDATE SET
    attempts = EXCLUDED.attempts, resolved = EXCLUDED.resolved, delivered = EXCLUDED.delivered,
    failed = EXCLUDED.failed, success_rate_pct = EXCLUDED.success_rate_pct,
    error_rate_pct = EXCLUDED.error_rate_pct, rate_per_min = EXCLUDED.rate_per_min,
    p95_latency_ms = EXCLUDED.p95_latency_ms
