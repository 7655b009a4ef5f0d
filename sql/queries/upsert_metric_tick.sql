INSERT INTO delivery_ops.metric_ticks
    (delivery_date, tick_at, scope, attempts, resolved, delivered, failed, success_rate_pct, error_rate_pct,
     rate_per_min, p95_latency_ms)
VALUES (%(delivery_date)s, %(tick_at)s, %(scope)s, %(attempts)s, %(resolved)s, %(delivered)s, %(failed)s,
        %(success_rate_pct)s, %(error_rate_pct)s, %(rate_per_min)s, %(p95_latency_ms)s)
ON CONFLICT (delivery_date, tick_at, scope) DO UPDATE SET
    attempts = EXCLUDED.attempts, resolved = EXCLUDED.resolved, delivered = EXCLUDED.delivered,
    failed = EXCLUDED.failed, success_rate_pct = EXCLUDED.success_rate_pct,
    error_rate_pct = EXCLUDED.error_rate_pct, rate_per_min = EXCLUDED.rate_per_min,
    p95_latency_ms = EXCLUDED.p95_latency_ms
