-- A new special instruction / known issue (validated by reports.briefing before it gets here).
INSERT INTO delivery_ops.handoff_notes (text, starts_at, until, author, created_at)
VALUES (%(text)s, %(starts_at)s, %(until)s, %(author)s, %(created_at)s)
RETURNING note_id
