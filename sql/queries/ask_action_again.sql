-- An action already claimed or done: record this ask and return what the ledger knows.
UPDATE delivery_ops.actions
SET asks = asks || jsonb_build_array(%(ask)s::jsonb)
WHERE idempotency_key = %(idempotency_key)s
RETURNING status, response, last_error
