-- A compliance incident's documents (issue 14).
SELECT incident_id, document, delivery_date, version, content_md, generated_at
FROM delivery_ops.compliance_documents
WHERE incident_id = %(incident_id)s
ORDER BY document
