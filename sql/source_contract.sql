-- Source contract: the platform tables the delivery-window DAG reads (ARCHITECTURE.md §3).
--
-- The sandbox creates these tables and fills them with a generated day; production maps the same names onto
-- views over the platform's own tables. The DAG only ever reads them. Every statement is idempotent, so the
-- file can be applied on every start. Daily tables carry delivery_date (the Asia/Kolkata date of the window)
-- as the first key column so a day can be rewritten, read or partitioned on its own.

CREATE SCHEMA IF NOT EXISTS platform;
COMMENT ON SCHEMA platform IS 'Source tables of the delivery platform, read-only for the delivery-window DAG.';

-- Advisors -------------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS platform.advisors (
    advisor_id  text     PRIMARY KEY,
    segment     smallint NOT NULL CHECK (segment BETWEEN 1 AND 4),
    tier        text     NOT NULL,
    phone_e164  text     NOT NULL,
    active      boolean  NOT NULL
);
COMMENT ON TABLE platform.advisors IS
    'Every advisor who can receive the daily content: delivery segment (1..4), commercial tier, WhatsApp number. '
    'Only active advisors are targeted.';

-- Sender numbers -------------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS platform.sender_numbers (
    phone_number_id      text     PRIMARY KEY,
    display_phone_number text     NOT NULL,
    shard                smallint NOT NULL,
    active               boolean  NOT NULL
);
COMMENT ON TABLE platform.sender_numbers IS
    'WhatsApp Business phone numbers the delivery service sends from; each is one shard of the send load.';

-- Delivery attempts ----------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS platform.delivery_attempts (
    attempt_id      bigint      PRIMARY KEY,
    delivery_date   date        NOT NULL,
    advisor_id      text        NOT NULL,
    segment         smallint    NOT NULL,
    phone_number_id text        NOT NULL,
    template_name   text        NOT NULL,
    wamid           text        NULL,
    attempted_at    timestamptz NOT NULL,
    api_latency_ms  integer     NOT NULL,
    status          text        NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    error_code      integer     NULL,
    status_at       timestamptz NOT NULL
);
COMMENT ON TABLE platform.delivery_attempts IS
    'One row per send attempt (a retry is a new row). status is the latest receipt; wamid is null when the API '
    'rejected the call synchronously; error_code is the WhatsApp error code of a failed attempt.';
-- The monitor reads "rows of this day newer than the last tick": this index serves that range scan.
CREATE INDEX IF NOT EXISTS delivery_attempts_date_attempted_idx
    ON platform.delivery_attempts (delivery_date, attempted_at);
-- ... and "receipts that arrived since the last tick" (status_at moves forward with every receipt). With both,
-- a tick of the incremental monitor is a BitmapOr of two short range scans (sql/queries/select_attempt_changes.sql)
-- instead of a scan of the whole day. This is part of the contract, not a delivery_ops migration: the DAG only
-- reads platform.*, and in production these names are views over the platform's own tables, which must carry the
-- index (an index cannot be created on a view, nor by a read-only role).
-- attempted_at is a key column too: the receipts read wants only attempts made by the previous tick, and the index
-- answers that itself, so receipts of the newest attempts (read in full anyway) cost no heap visit.
DROP INDEX IF EXISTS platform.delivery_attempts_date_status_at_idx;  -- superseded by the index below
CREATE INDEX IF NOT EXISTS delivery_attempts_date_status_attempted_idx
    ON platform.delivery_attempts (delivery_date, status_at, attempted_at);

-- Content pipeline -----------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS platform.content_items (
    delivery_date date        NOT NULL,
    content_id    text        NOT NULL,
    segment       smallint    NOT NULL CHECK (segment BETWEEN 1 AND 4),
    template_name text        NOT NULL,
    rendered      boolean     NOT NULL,
    asset_url     text        NULL,
    rendered_at   timestamptz NULL,
    PRIMARY KEY (delivery_date, content_id)
);
COMMENT ON TABLE platform.content_items IS
    'Content pieces of the day per segment; rendered = the image/asset was pre-rendered to asset_url.';

CREATE TABLE IF NOT EXISTS platform.approval_queue (
    item_id       text        PRIMARY KEY,
    delivery_date date        NOT NULL,
    content_id    text        NOT NULL,
    state         text        NOT NULL CHECK (state IN ('pending', 'approved', 'rejected')),
    submitted_at  timestamptz NOT NULL,
    decided_at    timestamptz NULL
);
COMMENT ON TABLE platform.approval_queue IS
    'Compliance approval of each content item; the pre-window check expects 0 pending items for the day.';
CREATE INDEX IF NOT EXISTS approval_queue_date_idx ON platform.approval_queue (delivery_date, state);

CREATE TABLE IF NOT EXISTS platform.templates_in_use (
    delivery_date date     NOT NULL,
    template_name text     NOT NULL,
    language      text     NOT NULL,
    segment       smallint NOT NULL CHECK (segment BETWEEN 1 AND 4),
    PRIMARY KEY (delivery_date, segment, language)
);
COMMENT ON TABLE platform.templates_in_use IS
    'WhatsApp template (name, language) each segment is sent with that day; all must be APPROVED at Meta.';

CREATE TABLE IF NOT EXISTS platform.preferences_snapshot (
    delivery_date date        NOT NULL,
    advisor_id    text        NOT NULL,
    language      text        NOT NULL,
    opted_in      boolean     NOT NULL,
    loaded_at     timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, advisor_id)
);
COMMENT ON TABLE platform.preferences_snapshot IS
    'Delivery preferences loaded for the day (language, WhatsApp opt-in), one row per active advisor.';

CREATE TABLE IF NOT EXISTS platform.fallback_content (
    delivery_date date        NOT NULL,
    segment       smallint    NOT NULL CHECK (segment BETWEEN 1 AND 4),
    template_name text        NOT NULL,
    ready         boolean     NOT NULL,
    prepared_at   timestamptz NULL,
    PRIMARY KEY (delivery_date, segment)
);
COMMENT ON TABLE platform.fallback_content IS
    'Fallback template per segment, armed before the window in case a primary template or the AI pipeline fails.';

-- Receipts and engagement ----------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS platform.webhook_receipts (
    delivery_date date        NOT NULL,
    wamid         text        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
    status_at     timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    payload       jsonb       NOT NULL,
    PRIMARY KEY (delivery_date, wamid, status)
);
COMMENT ON TABLE platform.webhook_receipts IS
    'WhatsApp status webhooks as received (payload = the whole envelope). status_at is statuses[].timestamp, '
    'so received_at - status_at is the webhook lag.';
CREATE INDEX IF NOT EXISTS webhook_receipts_date_received_idx
    ON platform.webhook_receipts (delivery_date, received_at);

CREATE TABLE IF NOT EXISTS platform.engagement (
    delivery_date date        NOT NULL,
    advisor_id    text        NOT NULL,
    event         text        NOT NULL,
    event_at      timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, advisor_id, event)
);
COMMENT ON TABLE platform.engagement IS
    'Advisor engagement with the day''s content (opened, clicked, shared), first occurrence per event.';
