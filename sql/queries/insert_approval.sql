INSERT INTO delivery_ops.approvals
    (delivery_date, run_id, runbook, step, decision, decided_by, mode, timed_out, decided_at)
VALUES (%(delivery_date)s, %(run_id)s, %(runbook)s, %(step)s, %(decision)s, %(decided_by)s, %(mode)s, %(timed_out)s,
        %(decided_at)s)
