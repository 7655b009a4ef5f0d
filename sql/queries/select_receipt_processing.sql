-- 06:15 receipt-webhook processing, as known at %(as_of)s: receipts received by then, their lag
-- (received_at - statuses[].timestamp), and sent attempts (with a wamid) that have no receipt at all yet.
WITH receipts AS (
    SELECT wamid, extract(epoch FROM received_at - status_at) AS lag_s
    FROM platform.webhook_receipts
    WHERE delivery_date = %(delivery_date)s AND received_at <= %(as_of)s
), sent AS (
    SELECT DISTINCT wamid
    FROM platform.delivery_attempts
    WHERE delivery_date = %(delivery_date)s AND wamid IS NOT NULL AND attempted_at <= %(as_of)s
)
SELECT (SELECT count(*) FROM sent) AS sent_attempts,
       (SELECT count(*) FROM sent WHERE NOT EXISTS (SELECT 1 FROM receipts r WHERE r.wamid = sent.wamid))
           AS without_receipt,
       (SELECT count(*) FROM receipts) AS receipts,
       (SELECT percentile_disc(0.95) WITHIN GROUP (ORDER BY lag_s) FROM receipts)::float AS lag_p95_s,
       (SELECT max(lag_s) FROM receipts)::float AS lag_max_s
