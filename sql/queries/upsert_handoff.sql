INSERT INTO delivery_ops.handoff_log (delivery_date, section, content, written_at)
VALUES (%(delivery_date)s, %(section)s, %(content)s::jsonb, %(written_at)s)
ON CONFLICT (delivery_date, section) DO UPDATE SET content = EXCLUDED.content, written_at = EXCLUDED.written_at
