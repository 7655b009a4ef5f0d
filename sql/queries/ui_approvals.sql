-- The Delivery window view: the approvals the day's runbooks asked for and their answers.
SELECT step, runbook, decision, decided_by, mode, timed_out, decided_at
FROM delivery_ops.approvals
WHERE delivery_date = %(day)s
ORDER BY decided_at, approval_id
