-- A new planned change (validated by reports.briefing before it gets here).
INSERT INTO delivery_ops.planned_changes (starts_at, ends_at, title, details, author, created_at)
VALUES (%(starts_at)s, %(ends_at)s, %(title)s, %(details)s, %(author)s, %(created_at)s)
RETURNING change_id
