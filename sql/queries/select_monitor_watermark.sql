-- The last tick the monitor wrote for a day: a retried monitor task resumes after it.
SELECT max(tick_at) AS tick_at
FROM delivery_ops.metric_ticks
WHERE delivery_date = %(delivery_date)s AND scope = 'overall'
