-- The staged advisors upserted by advisor_id: how many were new, how many replaced a row (xmax = 0: inserted).
WITH up AS (
    INSERT INTO platform.advisors (advisor_id, segment, tier, phone_e164, active)
    SELECT advisor_id, segment, tier, phone_e164, active FROM import_advisors
    ON CONFLICT (advisor_id) DO UPDATE SET
        segment = EXCLUDED.segment,
        tier = EXCLUDED.tier,
        phone_e164 = EXCLUDED.phone_e164,
        active = EXCLUDED.active
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated FROM up
