-- Escalation ledger and incident lifecycle (issue 5). Alters the 0001 tables; never edits 0001.
--
-- A ledger row is one escalation or communication step: who (target), how (channel, kind, conn_id), when (due_at)
-- and the exact message (payload, phone numbers already masked). It is written before anything is sent; the
-- follow-up sends it through the notification outbox once due_at has passed while its incident is unresolved,
-- and cancels it when the incident resolves first. dedup_key is also the outbox key (and, for PagerDuty, the
-- event's dedup_key), so a rerun or a retry never sends a step twice.

ALTER TABLE delivery_ops.escalations ALTER COLUMN incident_id DROP NOT NULL;  -- alert posts outside any incident
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS source text;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS action text;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS kind text;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS conn_id text;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS payload jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS reason text;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS last_error text;
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE delivery_ops.escalations ADD COLUMN IF NOT EXISTS updated_at timestamptz;

-- dry_run: recorded by a run with dry_run=true, never sent.
ALTER TABLE delivery_ops.escalations DROP CONSTRAINT IF EXISTS escalations_status_check;
ALTER TABLE delivery_ops.escalations ADD CONSTRAINT escalations_status_check
    CHECK (status IN ('pending', 'sent', 'cancelled', 'failed', 'dry_run'));

CREATE INDEX IF NOT EXISTS escalations_due_idx
    ON delivery_ops.escalations (delivery_date, status, due_at);
CREATE INDEX IF NOT EXISTS escalations_incident_idx ON delivery_ops.escalations (incident_id);

COMMENT ON TABLE delivery_ops.escalations IS
    'Escalation ledger (issue 5): one row per escalation/communication step, written before it is sent. '
    'status: pending (due later, or its send failed and is retried), sent, cancelled (incident resolved first, '
    'or superseded; see reason), dry_run.';
COMMENT ON COLUMN delivery_ops.escalations.source IS
    'Why the step exists: alert:<rule>:<scope>, chain:<level>, business:<row>:<step>, task_failed:<task>, '
    'advisor_delay:<n>, status_page:<page>:<state>, proactive_email, regulatory:<what>, pagerduty:<action>.';

-- Incidents: kind (technical = a runbook incident, task_failure, business = a business-matrix condition) and who
-- resolved it. The engine adds timeline entries without touching status (append_incident_timeline reopens).
ALTER TABLE delivery_ops.incidents ADD COLUMN IF NOT EXISTS kind text;
ALTER TABLE delivery_ops.incidents ADD COLUMN IF NOT EXISTS resolved_by text;
CREATE INDEX IF NOT EXISTS incidents_open_idx ON delivery_ops.incidents (status, delivery_date);
