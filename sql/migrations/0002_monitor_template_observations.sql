-- The window monitor (issue 4): WhatsApp template statuses seen during the window.
--
-- The live monitor polls the templates in use and records each one's status when it is first seen and whenever
-- it changes; the template_status_change rule (severity_2) is evaluated from these rows "as of" each tick, so a
-- replay of the day (when the API can no longer tell what it said then) reaches the same alert.
-- Indexes the monitor needs on platform.delivery_attempts are in sql/source_contract.sql (the platform's tables).
CREATE TABLE IF NOT EXISTS delivery_ops.template_observations (
    delivery_date  date NOT NULL,
    template_name  text NOT NULL,
    language       text NOT NULL,
    status         text NOT NULL,
    observed_at    timestamptz NOT NULL,
    PRIMARY KEY (delivery_date, template_name, language, observed_at)
);
