SELECT evaluation_id, schema_name, delivery_date, dag_run_id, conf, sends, created_at, differences, compared_at
FROM delivery_ops.evaluations
WHERE delivery_date = %(delivery_date)s
ORDER BY created_at, evaluation_id
