-- Append one entry to an incident's timeline once per step name, leaving status and resolved_at alone.
UPDATE delivery_ops.incidents
SET timeline = timeline || jsonb_build_array(%(entry)s::jsonb)
WHERE incident_id = %(incident_id)s
  AND NOT timeline @> jsonb_build_array(jsonb_build_object('step', %(step)s::text))
