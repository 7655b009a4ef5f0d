INSERT INTO delivery_ops.runbook_runs (delivery_date, runbook, step, outcome, details, ran_at)
VALUES (%(delivery_date)s, %(runbook)s, %(step)s, %(outcome)s, %(details)s::jsonb, %(ran_at)s)
ON CONFLICT (delivery_date, runbook, step) DO UPDATE SET
    outcome = EXCLUDED.outcome, details = EXCLUDED.details, ran_at = EXCLUDED.ran_at
