-- A new silence (validated by escalation.routing before it gets here).
INSERT INTO delivery_ops.silences (starts_at, ends_at, matchers, reason, author, created_at)
VALUES (%(starts_at)s, %(ends_at)s, %(matchers)s::jsonb, %(reason)s, %(author)s, %(created_at)s)
RETURNING silence_id
