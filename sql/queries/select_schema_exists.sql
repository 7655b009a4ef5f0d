-- Whether a schema exists (the schema name is a bound value here, not an identifier).
SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %(schema_name)s) AS present
