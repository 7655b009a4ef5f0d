-- Every advisor as a packed record (key int8, tier index int2, active int2) for the monitor's directory: tier
-- scopes and distinct advisors attempted without a join per attempt. ~10 bytes per advisor.
SELECT count(*) FILTER (WHERE active) AS targeted,
       coalesce(string_agg(
           int8send(hashtextextended(advisor_id, 0))
           || int2send((coalesce(array_position(%(tiers)s::text[], tier), 0) - 1)::smallint)
           || int2send(active::int::smallint),
           ''::bytea), ''::bytea) AS rows
FROM platform.advisors
