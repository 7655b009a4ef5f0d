-- Issue 14: what the WhatsApp Cloud API said about the account (the WABA's review and health, each sender
-- number's quality, status, health, messaging limit and throughput), each time the package looked: the 05:30 and
-- 05:45 checks, the live monitor every monitor.account_health_poll_seconds, the 06:05 checkpoint. The verdict
-- (none | quality_rating_to_medium | account_suspended) is the pure judgement of checks/account.py; an evaluation
-- re-judges the record's rows and never asks WhatsApp about a past day.
CREATE TABLE IF NOT EXISTS delivery_ops.account_observations (
    delivery_date  date NOT NULL,
    source         text NOT NULL,
    observed_at    timestamptz NOT NULL,
    verdict        text NOT NULL,
    reasons        jsonb NOT NULL DEFAULT '[]'::jsonb,
    observed       jsonb NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delivery_date, source, observed_at)
);
COMMENT ON TABLE delivery_ops.account_observations IS
    'WhatsApp account health as the Cloud API reported it, one row per look (05:30 and 05:45 checks, the live '
    'monitor''s polls, the 06:05 checkpoint), with the verdict that drove the business matrix row '
    'whatsapp_quality_rating_medium or whatsapp_account_suspended. A rerun at the same instant adds nothing.';
COMMENT ON COLUMN delivery_ops.account_observations.delivery_date IS 'The delivery day (IST date).';
COMMENT ON COLUMN delivery_ops.account_observations.source IS
    'Who looked: a check name (check_whatsapp_rate_limits at 05:30, check_sender_quality and check_number_shards '
    'at 05:45), monitor (the live window''s poll) or checkpoint_0605.';
COMMENT ON COLUMN delivery_ops.account_observations.observed_at IS
    'When it was seen: wall clock in a live run, the protocol instant of the source (05:30, 05:45, the tick, '
    '06:05 + grace) in a replay.';
COMMENT ON COLUMN delivery_ops.account_observations.verdict IS
    'none | quality_rating_to_medium | account_suspended (protocol whatsapp_account_restriction).';
COMMENT ON COLUMN delivery_ops.account_observations.reasons IS
    'JSON array of the facts behind the verdict, e.g. "WABA health_status BLOCKED (141006 ...)".';
COMMENT ON COLUMN delivery_ops.account_observations.observed IS
    'The fields read, normalised: numbers [{id, quality_rating, status, can_send_message, messaging_limit, '
    'throughput}], waba {account_review_status, can_send_message, errors} (null when not read).';
COMMENT ON COLUMN delivery_ops.account_observations.recorded_at IS 'When the row was written (wall clock).';
