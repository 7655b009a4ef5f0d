-- Stop listing a note now; expiring twice keeps the first expiry.
UPDATE delivery_ops.handoff_notes
SET expired_at = %(at)s
WHERE note_id = %(note_id)s AND expired_at IS NULL
RETURNING note_id
