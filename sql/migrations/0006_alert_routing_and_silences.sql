-- Alert routing (issue 12): how each alert went out, and silences for planned maintenance.
--
-- alerts keeps every firing; routing says what it sent: paged (opened its incident's PagerDuty incident),
-- grouped (carried by its incident's group of messages), posted (an alert of no incident, posted on its own),
-- inhibited (muted by a severity-1 alert of the same scope: inhibited_by = rule:scope), silenced (muted by a
-- silence: silenced_by = its silence_id). Written by the escalation engine each time it plans the day.
ALTER TABLE delivery_ops.alerts ADD COLUMN IF NOT EXISTS routing text;
ALTER TABLE delivery_ops.alerts ADD COLUMN IF NOT EXISTS inhibited_by text;
ALTER TABLE delivery_ops.alerts ADD COLUMN IF NOT EXISTS silenced_by text;
ALTER TABLE delivery_ops.alerts DROP CONSTRAINT IF EXISTS alerts_routing_check;
ALTER TABLE delivery_ops.alerts ADD CONSTRAINT alerts_routing_check
    CHECK (routing IS NULL OR routing IN ('paged', 'grouped', 'posted', 'inhibited', 'silenced'));
COMMENT ON COLUMN delivery_ops.alerts.routing IS
    'How the alert went out: paged | grouped | posted | inhibited | silenced (NULL: not planned yet).';
COMMENT ON COLUMN delivery_ops.alerts.inhibited_by IS 'rule:scope of the severity-1 alert that inhibited it.';
COMMENT ON COLUMN delivery_ops.alerts.silenced_by IS 'silence_id of the silence that muted it.';

-- A silence mutes the alerts whose labels (rule, scope, level, runbook) equal every matcher, while
-- starts_at <= first firing < ends_at (or expired_at when it was expired early). `delivery-window silence`.
CREATE TABLE IF NOT EXISTS delivery_ops.silences (
    silence_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    matchers    jsonb NOT NULL CHECK (jsonb_typeof(matchers) = 'object' AND matchers <> '{}'::jsonb),
    reason      text NOT NULL CHECK (reason <> ''),
    author      text NOT NULL CHECK (author <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expired_at  timestamptz,
    CHECK (ends_at > starts_at)
);
CREATE INDEX IF NOT EXISTS silences_span_idx ON delivery_ops.silences (starts_at, ends_at);
COMMENT ON TABLE delivery_ops.silences IS
    'Silences for planned maintenance (issue 12): matching alerts are recorded with silenced_by and not sent. '
    'A severity-1 alert is never muted unless protocol.yaml silences.may_mute_severity_1.';
COMMENT ON COLUMN delivery_ops.silences.matchers IS 'Label -> value; labels: rule, scope, level, runbook.';
COMMENT ON COLUMN delivery_ops.silences.expired_at IS 'Set by `silence expire`: the silence stops muting then.';
