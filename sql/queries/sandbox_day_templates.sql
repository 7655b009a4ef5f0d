-- Sandbox only (the WABA's message templates, in the sandbox's world): every (template, language) the platform's
-- days send with, and the slot it fills: a segment's primary template (platform.templates_in_use) or its fallback
-- (platform.fallback_content, in each language the segment is sent in that day). Every day, not one: the template
-- list of a WABA is not per day, and a Graph request names none.
SELECT DISTINCT 'primary' AS kind, segment, language, template_name
FROM platform.templates_in_use
UNION
SELECT DISTINCT 'fallback' AS kind, f.segment, t.language, f.template_name
FROM platform.fallback_content AS f
JOIN platform.templates_in_use AS t USING (delivery_date, segment)
ORDER BY kind DESC, segment, language, template_name
