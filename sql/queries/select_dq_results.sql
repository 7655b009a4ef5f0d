SELECT suite, success, evaluated, failed, failed_expectations, details
FROM delivery_ops.dq_results
WHERE delivery_date = %(delivery_date)s
ORDER BY suite
