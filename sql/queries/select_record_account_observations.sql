-- What the record saw of the WhatsApp account from one source (an evaluation re-judges it; never asks WhatsApp).
SELECT source, observed_at, verdict, reasons, observed
FROM delivery_ops.account_observations
WHERE delivery_date = %(delivery_date)s AND source = %(source)s
ORDER BY observed_at
