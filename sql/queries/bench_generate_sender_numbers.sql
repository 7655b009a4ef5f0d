-- Benchmarks only (bench/monitor_*.py, their own database): %(numbers)s sender numbers (shards) 1065000000...
INSERT INTO platform.sender_numbers (phone_number_id, display_phone_number, shard, active)
SELECT '1065' || lpad((g - 1)::text, 6, '0'), '+91 80 4555 ' || lpad((g - 1)::text, 4, '0'), g, true
FROM generate_series(1, %(numbers)s) AS g
ON CONFLICT (phone_number_id) DO NOTHING
