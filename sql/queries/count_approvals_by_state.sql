SELECT state, count(*) AS items
FROM platform.approval_queue
WHERE delivery_date = %(delivery_date)s
GROUP BY state
ORDER BY state
