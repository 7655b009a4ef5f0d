-- What provision last deployed to one system (grafana_dashboard | datadog_monitor).
SELECT system, object_key, remote_id, version, content_sha, spec, last_action, provisioned_at
FROM delivery_ops.provisioned_objects
WHERE system = %(system)s
ORDER BY object_key
