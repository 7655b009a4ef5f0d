-- The outbox row is the idempotency guard: a rerun finds the row and does not enqueue (or send) again.
INSERT INTO delivery_ops.notifications (dedup_key, delivery_date, channel, kind, payload, status, created_at)
VALUES (%(dedup_key)s, %(delivery_date)s, %(channel)s, %(kind)s, %(payload)s::jsonb, 'pending', %(created_at)s)
ON CONFLICT (dedup_key) DO NOTHING
