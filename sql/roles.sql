-- Least-privilege roles for delivery-window (apply as a superuser after the migrations; idempotent).
--   delivery_window_reader : read-only on the platform source tables
--   delivery_window_writer : reader + owns writes to the delivery_ops report schema
--   delivery_window_app    : the login the `delivery_db` connection uses (member of writer)
-- Passwords are never set here: set them out of band (ALTER ROLE ... PASSWORD) or use IAM / cert auth.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'delivery_window_reader') THEN
        CREATE ROLE delivery_window_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'delivery_window_writer') THEN
        CREATE ROLE delivery_window_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'delivery_window_app') THEN
        CREATE ROLE delivery_window_app LOGIN;
    END IF;
END
$$;

GRANT delivery_window_reader TO delivery_window_writer;
GRANT delivery_window_writer TO delivery_window_app;

-- platform: read only (the platform owns these tables; production may map them to views).
GRANT USAGE ON SCHEMA platform TO delivery_window_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA platform TO delivery_window_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA platform GRANT SELECT ON TABLES TO delivery_window_reader;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA platform FROM delivery_window_writer;

-- delivery_ops: read and write rows, no DDL (migrations run as the schema owner, not as the app).
GRANT USAGE ON SCHEMA delivery_ops TO delivery_window_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA delivery_ops TO delivery_window_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA delivery_ops TO delivery_window_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA delivery_ops GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO delivery_window_writer;
