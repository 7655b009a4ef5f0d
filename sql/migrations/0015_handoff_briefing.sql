-- The incoming engineer's briefing (issue 14): planned changes (beside the silences, the briefing's "upcoming
-- scheduled maintenance or changes") and special instructions / known issues (`delivery-window note add`).
-- Both are configuration kept with the record, like the silences: an evaluation reads the record's.
CREATE TABLE IF NOT EXISTS delivery_ops.planned_changes (
    change_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz,
    title       text NOT NULL CHECK (title <> ''),
    details     text,
    author      text NOT NULL CHECK (author <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    CHECK (ends_at IS NULL OR ends_at >= starts_at)
);
CREATE INDEX IF NOT EXISTS planned_changes_span_idx ON delivery_ops.planned_changes (starts_at);
COMMENT ON TABLE delivery_ops.planned_changes IS
    'Planned changes (deploys, migrations, vendor work) the handoff lists under upcoming_scheduled_maintenance_or_changes '
    'while they are under way or start within shift_handoff.incoming_engineer_briefing.maintenance_lookahead_minutes. '
    '`delivery-window change add`.';
COMMENT ON COLUMN delivery_ops.planned_changes.change_id IS 'Change id (delivery-window change cancel <id>).';
COMMENT ON COLUMN delivery_ops.planned_changes.starts_at IS 'Instant the change starts.';
COMMENT ON COLUMN delivery_ops.planned_changes.ends_at IS 'Instant it is expected to end; NULL: a single moment (starts_at).';
COMMENT ON COLUMN delivery_ops.planned_changes.title IS 'What changes, in one line.';
COMMENT ON COLUMN delivery_ops.planned_changes.details IS 'Optional: impact, rollback, who to call.';
COMMENT ON COLUMN delivery_ops.planned_changes.author IS 'Who planned it.';
COMMENT ON COLUMN delivery_ops.planned_changes.created_at IS 'Wall clock when it was added.';
COMMENT ON COLUMN delivery_ops.planned_changes.cancelled_at IS 'Set by `change cancel`: listed at no handoff from then on.';

CREATE TABLE IF NOT EXISTS delivery_ops.handoff_notes (
    note_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    text        text NOT NULL CHECK (text <> ''),
    starts_at   timestamptz NOT NULL,
    until       timestamptz,
    author      text NOT NULL CHECK (author <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expired_at  timestamptz,
    CHECK (until IS NULL OR until > starts_at)
);
CREATE INDEX IF NOT EXISTS handoff_notes_span_idx ON delivery_ops.handoff_notes (starts_at);
COMMENT ON TABLE delivery_ops.handoff_notes IS
    'Special instructions or known issues for the incoming engineer (`delivery-window note add`): every handoff '
    'from starts_at until `until` (or until expired) lists them under special_instructions_or_known_issues.';
COMMENT ON COLUMN delivery_ops.handoff_notes.note_id IS 'Note id (delivery-window note expire <id>).';
COMMENT ON COLUMN delivery_ops.handoff_notes.text IS 'The instruction or known issue, as its author wrote it.';
COMMENT ON COLUMN delivery_ops.handoff_notes.starts_at IS 'First instant a handoff lists it (--from; default: when added).';
COMMENT ON COLUMN delivery_ops.handoff_notes.until IS 'Instant after which no handoff lists it (exclusive); NULL: until expired.';
COMMENT ON COLUMN delivery_ops.handoff_notes.author IS 'Who wrote it.';
COMMENT ON COLUMN delivery_ops.handoff_notes.created_at IS 'Wall clock when it was added.';
COMMENT ON COLUMN delivery_ops.handoff_notes.expired_at IS 'Set by `note expire`: listed at no handoff from then on.';

-- The outbox's new kinds (issue 14): status_page_update now goes to Statuspage through the page's connection.
COMMENT ON COLUMN delivery_ops.escalations.kind IS
    'Outbox kind: pagerduty_event | slack_message | status_page_update (Statuspage) | advisor_notification | '
    'x_post (X API v2) | confluence_page (the handoff page).';
COMMENT ON COLUMN delivery_ops.notifications.kind IS
    'pagerduty_event | slack_message | status_page_update (Statuspage) | advisor_notification | x_post | confluence_page.';
