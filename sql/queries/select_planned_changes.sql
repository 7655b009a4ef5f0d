-- Changes a handoff at %(at)s lists: under way at it, or starting by %(horizon)s; not cancelled by then.
SELECT change_id::text AS change_id, starts_at, ends_at, title, details, author, created_at
FROM delivery_ops.planned_changes
WHERE starts_at <= %(horizon)s
  AND COALESCE(ends_at, starts_at) >= %(at)s
  AND (cancelled_at IS NULL OR cancelled_at > %(at)s)
ORDER BY starts_at, change_id
