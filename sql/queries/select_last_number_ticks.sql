-- Each sender number's metrics at the monitor's last tick.
SELECT DISTINCT ON (scope) scope, error_rate_pct, success_rate_pct, attempts
FROM delivery_ops.metric_ticks
WHERE delivery_date = %(delivery_date)s AND scope LIKE 'number:%%'
ORDER BY scope, tick_at DESC
