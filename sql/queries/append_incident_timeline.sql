UPDATE delivery_ops.incidents
SET timeline = timeline || jsonb_build_array(%(entry)s::jsonb),
    status = %(status)s,
    resolved_at = CASE WHEN %(status)s = 'resolved' THEN %(at)s ELSE NULL END
WHERE incident_id = %(incident_id)s
  AND NOT timeline @> jsonb_build_array(jsonb_build_object('step', %(step)s::text))
