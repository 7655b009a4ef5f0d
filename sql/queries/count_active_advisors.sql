SELECT count(*) AS advisors, count(DISTINCT segment) AS segments
FROM platform.advisors
WHERE active
