-- Benchmarks only (bench/monitor_*.py, their own database): %(n)s active advisors BA0000001..., segments 1..4
-- round-robin, tiers 10/20/30/40 %% platinum/gold/silver/standard.
INSERT INTO platform.advisors (advisor_id, segment, tier, phone_e164, active)
SELECT 'BA' || lpad(g::text, 7, '0'),
       1 + (g - 1) %% 4,
       CASE WHEN g %% 10 = 0 THEN 'platinum' WHEN g %% 10 < 3 THEN 'gold' WHEN g %% 10 < 6 THEN 'silver'
            ELSE 'standard' END,
       '+917' || lpad(g::text, 9, '0'),
       true
FROM generate_series(1, %(n)s) AS g
ON CONFLICT (advisor_id) DO NOTHING
