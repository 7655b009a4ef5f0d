-- The record's verdict and raw observation of one check (scope.RECORD_READS: read from the record in any run).
SELECT check_name, phase, status, message, observed, probe_observed, latency_ms
FROM delivery_ops.check_results
WHERE delivery_date = %(delivery_date)s AND check_name = %(check_name)s
