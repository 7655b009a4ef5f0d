-- Mirror one outbox send attempt onto its ledger row (no-op for messages that are not escalation steps).
UPDATE delivery_ops.escalations
SET status = %(status)s, attempts = attempts + 1, last_error = %(last_error)s, updated_at = now(),
    sent_at = CASE WHEN %(status)s IN ('sent', 'dry_run') THEN now() ELSE sent_at END
WHERE dedup_key = %(dedup_key)s AND status = 'pending'
