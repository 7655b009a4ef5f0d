SELECT runbook, step, outcome, details, ran_at FROM delivery_ops.runbook_runs
WHERE delivery_date = %(delivery_date)s
ORDER BY runbook, step
