SELECT advisor_id, segment, tier, issue, attempts, last_error_code, last_status, error_class, retryable
FROM delivery_ops.advisor_issues
WHERE delivery_date = %(delivery_date)s
ORDER BY advisor_id
