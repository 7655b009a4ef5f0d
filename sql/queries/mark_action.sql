UPDATE delivery_ops.actions
SET status = %(status)s, response = %(response)s::jsonb, last_error = %(last_error)s,
    done_at = CASE WHEN %(status)s = 'done' THEN now() ELSE done_at END
WHERE idempotency_key = %(idempotency_key)s
