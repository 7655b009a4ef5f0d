-- Issue 15: every runbook action on the delivery service is a ledger row first (like every message): a rerun or a
-- concurrent run of the same day acts at most once per idempotency key, and every ask is recorded.
CREATE TABLE IF NOT EXISTS delivery_ops.actions (
    idempotency_key  text PRIMARY KEY,
    delivery_date    date NOT NULL,
    incident_id      text NOT NULL,
    runbook          text NOT NULL,
    step             text NOT NULL,
    endpoint         text NOT NULL,
    request          jsonb NOT NULL,
    status           text NOT NULL CHECK (status IN ('claimed', 'done', 'failed', 'not_performed')),
    response         jsonb,
    last_error       text,
    asks             jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at       timestamptz NOT NULL,
    claimed_at       timestamptz,
    done_at          timestamptz
);
CREATE INDEX IF NOT EXISTS actions_by_day ON delivery_ops.actions (delivery_date, runbook, step);
COMMENT ON TABLE delivery_ops.actions IS
    'Runbook actions on the delivery service (requeue, pause a number, fallback, failover, replan): one row per '
    'idempotency key (delivery_window:<date>:<runbook>:<step>:<endpoint>[#n], sent as the Idempotency-Key '
    'header). status: claimed (being sent), done (response kept), failed (retried under the same key), '
    'not_performed (an evaluation, which never acts). asks: every time a run asked for the action, with who and '
    'what happened (performed, answered from the ledger, ...).';
COMMENT ON COLUMN delivery_ops.actions.asks IS
    'Every ask of this action, in order: {"at", "by" (host:pid, Airflow run), "outcome"}; a rerun adds an ask '
    'answered from the ledger, never a second request.';
