-- Sandbox only (the delivery service's planner, in the sandbox's world): the active advisors it plans the day's
-- traffic for, per delivery segment, as the platform's own tables hold them (a generated or an imported day).
SELECT segment, count(*) AS advisors
FROM platform.advisors
WHERE active
GROUP BY segment
ORDER BY segment
