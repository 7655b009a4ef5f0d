-- A compliance incident's document (issue 14): a changed text replaces the row and counts a new version.
INSERT INTO delivery_ops.compliance_documents (incident_id, document, delivery_date, content_md, generated_at)
VALUES (%(incident_id)s, %(document)s, %(delivery_date)s, %(content_md)s, %(generated_at)s)
ON CONFLICT (incident_id, document) DO UPDATE
SET version = delivery_ops.compliance_documents.version + 1,
    content_md = EXCLUDED.content_md,
    generated_at = EXCLUDED.generated_at
WHERE delivery_ops.compliance_documents.content_md IS DISTINCT FROM EXCLUDED.content_md
RETURNING version
