INSERT INTO delivery_ops.decisions (delivery_date, decision_point, choice, reasons, decided_at)
VALUES (%(delivery_date)s, %(decision_point)s, %(choice)s, %(reasons)s::jsonb, %(decided_at)s)
ON CONFLICT (delivery_date, decision_point) DO UPDATE SET
    choice = EXCLUDED.choice, reasons = EXCLUDED.reasons, decided_at = EXCLUDED.decided_at
