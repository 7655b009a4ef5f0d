-- COPY cannot upsert: an import's advisors are staged here first (dropped at commit).
CREATE TEMP TABLE import_advisors (LIKE platform.advisors INCLUDING DEFAULTS) ON COMMIT DROP
