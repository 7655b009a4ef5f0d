-- The registry of evaluations is the record's (scope.RECORD_READS): a rerun of the same Airflow run keeps its row.
INSERT INTO delivery_ops.evaluations
    (evaluation_id, schema_name, delivery_date, dag_run_id, conf, sends, created_at)
VALUES (%(evaluation_id)s, %(schema_name)s, %(delivery_date)s, %(dag_run_id)s, %(conf)s::jsonb, %(sends)s,
        %(created_at)s)
ON CONFLICT (evaluation_id) DO UPDATE SET conf = EXCLUDED.conf, sends = EXCLUDED.sends
