INSERT INTO delivery_ops.dq_results
    (delivery_date, suite, success, evaluated, failed, failed_expectations, details, validated_at)
VALUES (%(delivery_date)s, %(suite)s, %(success)s, %(evaluated)s, %(failed)s, %(failed_expectations)s,
        %(details)s::jsonb, %(validated_at)s)
ON CONFLICT (delivery_date, suite) DO UPDATE SET
    success = EXCLUDED.success, evaluated = EXCLUDED.evaluated, failed = EXCLUDED.failed,
    failed_expectations = EXCLUDED.failed_expectations, details = EXCLUDED.details,
    validated_at = EXCLUDED.validated_at
