SELECT (SELECT count(*) FROM pg_stat_activity) AS connections_used,
       current_setting('max_connections')::int AS max_connections
