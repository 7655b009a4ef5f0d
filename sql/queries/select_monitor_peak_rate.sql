-- The highest overall processing rate the monitor already wrote for a day up to a tick: a retried monitor task
-- resumes with it, so its "window closed" post reports the day's peak, not the peak since the retry.
SELECT coalesce(max(rate_per_min), 0) AS peak
FROM delivery_ops.metric_ticks
WHERE delivery_date = %(delivery_date)s AND scope = 'overall' AND tick_at <= %(until)s
