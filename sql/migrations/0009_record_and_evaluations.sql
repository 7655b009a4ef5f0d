-- Issue 15: the day's record stays true. The record is delivery_ops; a replay or a dry run is an evaluation that
-- writes its own copy of these tables in a schema delivery_eval_<id> (plugins/delivery_window/scope.py), listed
-- here. The record keeps each check's raw observation, so an evaluation re-judges what was seen instead of
-- probing today's services; the outbox claims a row (committed) before it sends it, never inside a row lock.

CREATE TABLE IF NOT EXISTS delivery_ops.evaluations (
    evaluation_id  text PRIMARY KEY,
    schema_name    text NOT NULL UNIQUE,
    delivery_date  date NOT NULL,
    dag_run_id     text NOT NULL,
    conf           jsonb NOT NULL DEFAULT '{}'::jsonb,
    sends          boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL,
    differences    jsonb,
    compared_at    timestamptz
);
COMMENT ON TABLE delivery_ops.evaluations IS
    'Evaluations of a day (replays, dry runs): each wrote its own copy of the report tables in schema_name, '
    'never the record (delivery_ops). differences: what its report found against the record.';

ALTER TABLE delivery_ops.check_results ADD COLUMN IF NOT EXISTS probe_observed jsonb;
COMMENT ON COLUMN delivery_ops.check_results.probe_observed IS
    'What the probe returned, before judgement ({"error": ...} when it could not observe): an evaluation '
    're-judges it with its own protocol.yaml. NULL for rows computed from platform data (checkpoints).';
ALTER TABLE delivery_ops.check_results DROP CONSTRAINT IF EXISTS check_results_status_check;
ALTER TABLE delivery_ops.check_results ADD CONSTRAINT check_results_status_check
    CHECK (status IN ('pass', 'warn', 'fail', 'error', 'not_observed'));

-- sending: claimed by a flush (committed) and being sent; in_record: an evaluation's copy of a message the record
-- already sent (an evaluation asked to send never repeats one).
ALTER TABLE delivery_ops.notifications DROP CONSTRAINT IF EXISTS notifications_status_check;
ALTER TABLE delivery_ops.notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'dry_run', 'in_record'));
ALTER TABLE delivery_ops.notifications ADD COLUMN IF NOT EXISTS claimed_at timestamptz;
ALTER TABLE delivery_ops.notifications ADD COLUMN IF NOT EXISTS claimed_by text;
COMMENT ON COLUMN delivery_ops.notifications.claimed_at IS
    'When a flush claimed the row to send it; a row left sending past outbox.claim_lease_seconds (its sender '
    'died mid-send) is sent again under the same key (see README: a send whose outcome is unknown).';
ALTER TABLE delivery_ops.escalations DROP CONSTRAINT IF EXISTS escalations_status_check;
ALTER TABLE delivery_ops.escalations ADD CONSTRAINT escalations_status_check
    CHECK (status IN ('pending', 'sent', 'cancelled', 'failed', 'dry_run', 'in_record'));
