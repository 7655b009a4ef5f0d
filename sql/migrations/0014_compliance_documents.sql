-- Issue 14: the documents of a compliance incident (SEBI violation), kept with the incident: the comprehensive
-- incident report and the remediation plan (detailed corrective actions), as Markdown. One row per incident and
-- document; a new text (a later follow-up of the same incident, the SEBI filing recorded) replaces it and counts
-- a new version, the same text leaves the row as it is.
CREATE TABLE IF NOT EXISTS delivery_ops.compliance_documents (
    incident_id   text        NOT NULL,
    document      text        NOT NULL CHECK (document IN ('incident_report', 'remediation_plan')),
    delivery_date date        NOT NULL,
    version       integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    content_md    text        NOT NULL,
    generated_at  timestamptz NOT NULL,
    PRIMARY KEY (incident_id, document)
);
CREATE INDEX IF NOT EXISTS compliance_documents_day_idx ON delivery_ops.compliance_documents (delivery_date);
COMMENT ON TABLE delivery_ops.compliance_documents IS
    'Documents of a compliance incident (SEBI violation): the incident report (legal documentation) and the '
    'remediation plan (corrective actions), Markdown, one row per incident and document.';
COMMENT ON COLUMN delivery_ops.compliance_documents.incident_id IS 'The compliance incident (incidents.incident_id of the same schema).';
COMMENT ON COLUMN delivery_ops.compliance_documents.document IS 'incident_report | remediation_plan.';
COMMENT ON COLUMN delivery_ops.compliance_documents.delivery_date IS 'The delivery date of the incident.';
COMMENT ON COLUMN delivery_ops.compliance_documents.version IS 'Starts at 1; +1 each time the text changes.';
COMMENT ON COLUMN delivery_ops.compliance_documents.content_md IS
    'The document as Markdown: what was found, when, which content, which advisors received it, actions taken.';
COMMENT ON COLUMN delivery_ops.compliance_documents.generated_at IS 'Wall-clock time the current version was written.';
