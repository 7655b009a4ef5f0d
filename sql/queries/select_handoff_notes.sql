-- Notes a handoff at %(at)s lists: started, not past their end, not expired by then.
SELECT note_id::text AS note_id, text, starts_at, until, author, created_at
FROM delivery_ops.handoff_notes
WHERE starts_at <= %(at)s
  AND (until IS NULL OR until > %(at)s)
  AND (expired_at IS NULL OR expired_at > %(at)s)
ORDER BY starts_at, note_id
