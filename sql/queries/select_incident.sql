-- One incident by id (the day team's `incident close`).
SELECT incident_id, delivery_date, kind, status FROM delivery_ops.incidents WHERE incident_id = %(incident_id)s
