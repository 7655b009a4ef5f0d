-- The outcome of one send of a claimed row (or a dry run's, or an evaluation's "the record has it").
UPDATE delivery_ops.notifications
SET status = %(status)s, attempts = attempts + 1, last_error = %(last_error)s,
    sent_at = CASE WHEN %(status)s IN ('sent', 'dry_run') THEN now() ELSE sent_at END
WHERE dedup_key = %(dedup_key)s AND status IN ('pending', 'sending')
