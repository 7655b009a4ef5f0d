-- What an evaluation's report found against the record (scope.RECORD_READS: the registry is the record's).
UPDATE delivery_ops.evaluations
SET differences = %(differences)s::jsonb, compared_at = %(at)s
WHERE evaluation_id = %(evaluation_id)s
