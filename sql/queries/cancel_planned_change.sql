-- Cancel a planned change now; cancelling twice keeps the first.
UPDATE delivery_ops.planned_changes
SET cancelled_at = %(at)s
WHERE change_id = %(change_id)s AND cancelled_at IS NULL
RETURNING change_id
