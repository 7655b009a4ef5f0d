-- Record one look at the WhatsApp account (issue 14); a rerun at the same instant keeps the first row.
INSERT INTO delivery_ops.account_observations (delivery_date, source, observed_at, verdict, reasons, observed)
VALUES (%(delivery_date)s, %(source)s, %(observed_at)s, %(verdict)s, %(reasons)s, %(observed)s)
ON CONFLICT (delivery_date, source, observed_at) DO NOTHING
