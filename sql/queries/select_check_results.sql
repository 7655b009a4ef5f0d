SELECT check_name, phase, status, message, observed, latency_ms
FROM delivery_ops.check_results
WHERE delivery_date = %(delivery_date)s
ORDER BY phase, check_name
