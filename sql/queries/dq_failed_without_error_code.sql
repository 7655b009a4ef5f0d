-- Unexpected rows: a failed attempt must say why (WhatsApp error code).
SELECT attempt_id FROM {batch} WHERE status = 'failed' AND error_code IS NULL
