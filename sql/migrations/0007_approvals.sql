-- Issue 13: every approval of a risky action, as asked and answered, one row per ask (a rerun that asks again
-- adds its answer beside the earlier one; nothing is overwritten).
CREATE TABLE IF NOT EXISTS delivery_ops.approvals (
    approval_id   bigserial   PRIMARY KEY,
    delivery_date date        NOT NULL,
    run_id        text        NOT NULL,
    runbook       text        NOT NULL,
    step          text        NOT NULL,
    decision      text        NOT NULL CHECK (decision IN ('approve', 'reject')),
    decided_by    text        NULL,
    mode          text        NOT NULL CHECK (mode IN ('hitl', 'auto', 'not_needed')),
    timed_out     boolean     NOT NULL DEFAULT false,
    decided_at    timestamptz NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS approvals_day_idx ON delivery_ops.approvals (delivery_date, runbook, step);
COMMENT ON TABLE delivery_ops.approvals IS
    'Approvals of risky actions (runbook steps and the 05:45 pre-window remediations): who decided, how (hitl: a '
    'person in the Airflow UI, or the default after the timeout when timed_out; auto: a manual run or replay; '
    'not_needed: already done before the window), when. One row per ask: reruns add rows.';
COMMENT ON COLUMN delivery_ops.approvals.step IS
    'The runbook step (e.g. fail_over_database) or pre_window.<remediation> for a 05:45 remediation.';
COMMENT ON COLUMN delivery_ops.approvals.decided_by IS 'The Airflow user who answered; null when automatic or timed out.';
