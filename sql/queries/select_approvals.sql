SELECT runbook, step, decision, decided_by, mode, timed_out, decided_at, run_id
FROM delivery_ops.approvals
WHERE delivery_date = %(delivery_date)s
ORDER BY approval_id
