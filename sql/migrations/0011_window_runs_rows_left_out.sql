-- Issue 15, finding 5: the SLA is measured from the source rows that keep the contract; how many were left out
-- stands beside it (the rows themselves, by kind, are the day's dq_results row of suite source_contract).
ALTER TABLE delivery_ops.window_runs ADD COLUMN IF NOT EXISTS rows_left_out integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN delivery_ops.window_runs.rows_left_out IS
    'Source rows of platform.delivery_attempts left out of the SLA because they break the source contract '
    '(NULL times or status, a status outside the four, duplicate ids, another day); by kind in dq_results '
    '(suite source_contract). attempts and the SLA count only the valid rows.';
