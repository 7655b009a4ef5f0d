SELECT segment, count(*) AS advisors
FROM platform.advisors
WHERE active
GROUP BY segment
ORDER BY segment
