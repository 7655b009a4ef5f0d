-- The record's action under one key (scope.RECORD_READS): an evaluation answers with what the record's got.
SELECT status, response FROM delivery_ops.actions WHERE idempotency_key = %(idempotency_key)s
