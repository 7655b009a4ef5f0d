-- The record's outbox status of given messages (scope.RECORD_READS): an evaluation asked to send skips what the
-- record sent or still has to send itself.
SELECT dedup_key, status
FROM delivery_ops.notifications
WHERE dedup_key = ANY(%(keys)s)
