-- Sandbox only (scenario corrupted_day): production maps platform.* onto views without this CHECK, so a status
-- outside the contract can reach the DAG there. Run it only in a scenario's own database, never a shared one.
ALTER TABLE platform.delivery_attempts DROP CONSTRAINT IF EXISTS delivery_attempts_status_check
