-- The ledger keys a day already has (the engine writes only the rows that are new).
SELECT dedup_key FROM delivery_ops.escalations WHERE delivery_date = %(delivery_date)s
