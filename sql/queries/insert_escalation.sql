-- A ledger row is written once, before anything is sent; a rerun finds it and changes nothing.
INSERT INTO delivery_ops.escalations
    (dedup_key, delivery_date, incident_id, source, target, channel, conn_id, kind, action, due_at, status,
     payload, reason, created_at)
VALUES (%(dedup_key)s, %(delivery_date)s, %(incident_id)s, %(source)s, %(target)s, %(channel)s, %(conn_id)s,
        %(kind)s, %(action)s, %(due_at)s, %(status)s, %(payload)s::jsonb, %(reason)s, %(created_at)s)
ON CONFLICT (dedup_key) DO NOTHING
