-- What a provision run deployed (or found unchanged), one row per object.
INSERT INTO delivery_ops.provisioned_objects
    (system, object_key, remote_id, version, content_sha, spec, last_action, provisioned_at)
VALUES (%(system)s, %(object_key)s, %(remote_id)s, %(version)s, %(content_sha)s, %(spec)s::jsonb,
        %(last_action)s, %(provisioned_at)s)
ON CONFLICT (system, object_key) DO UPDATE SET
    remote_id = EXCLUDED.remote_id, version = EXCLUDED.version, content_sha = EXCLUDED.content_sha,
    spec = EXCLUDED.spec, last_action = EXCLUDED.last_action, provisioned_at = EXCLUDED.provisioned_at
