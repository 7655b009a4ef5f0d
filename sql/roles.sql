-- Least-privilege roles for delivery-window. Apply as a superuser in the delivery database, after
-- sql/source_contract.sql (the platform schema must exist) and before or after the migrations; idempotent.
--   delivery_window_reader : read-only on the platform source tables
--   delivery_window_writer : reader + reads and writes rows of the delivery_ops report schema (no DDL)
--   delivery_window_app    : the login the `delivery_db` connection uses (member of writer)
-- Passwords are never set here: set them out of band (ALTER ROLE ... PASSWORD) or use IAM / cert auth.
--
-- Who owns what: the migrations run as the owner of the database (connection `delivery_db_owner`), so that
-- role owns delivery_ops and every table in it. Grants on existing tables cover what is there now; default
-- privileges FOR ROLE <that owner> cover the tables later migrations create. (Default privileges without FOR
-- ROLE would only cover tables the superuser applying this file creates, which is none.)

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

DO $$
DECLARE
    db_owner name := (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database());
    migrator name;
    platform_owner name := (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'platform');
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO delivery_window_reader', current_database());
    -- The migrations create views over platform tables (0003); a view reads with its owner's privileges, and
    -- in production the platform tables may belong to another role.
    EXECUTE format('GRANT delivery_window_reader TO %I', db_owner);
    -- Before the first migration: create the report schema as the migrations would (owned by the database
    -- owner), so that the grants below and the default privileges are in place when its tables appear.
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS delivery_ops AUTHORIZATION %I', db_owner);
    -- The schema owner and the database owner are the same unless someone migrated as another role: cover both.
    FOR migrator IN
        SELECT DISTINCT r FROM unnest(ARRAY[
            db_owner, (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'delivery_ops')
        ]) AS r
    LOOP
        EXECUTE format(
            'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA delivery_ops '
            'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO delivery_window_writer', migrator);
        EXECUTE format(
            'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA delivery_ops '
            'GRANT USAGE, SELECT ON SEQUENCES TO delivery_window_writer', migrator);
    END LOOP;
    -- A platform table or view its owner adds later is readable too (NULL: no platform schema; the GRANT on
    -- the schema below then fails with a clear error).
    IF platform_owner IS NOT NULL THEN
        EXECUTE format(
            'ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA platform GRANT SELECT ON TABLES TO delivery_window_reader',
            platform_owner);
    END IF;
END
$$;

-- platform: read only (the platform owns these tables; production may map them to views).
GRANT USAGE ON SCHEMA platform TO delivery_window_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA platform TO delivery_window_reader;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA platform FROM delivery_window_writer;

-- delivery_ops: read and write rows, no DDL (no CREATE on the schema; the tables belong to the migrating role).
GRANT USAGE ON SCHEMA delivery_ops TO delivery_window_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA delivery_ops TO delivery_window_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA delivery_ops TO delivery_window_writer;

-- The migration ledger is the migrating role's alone (migrate.py revokes the same when it creates the table).
DO $$
BEGIN
    IF to_regclass('delivery_ops.schema_migrations') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON delivery_ops.schema_migrations FROM delivery_window_writer;
    END IF;
END
$$;
