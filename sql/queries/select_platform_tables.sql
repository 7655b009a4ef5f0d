-- Which platform tables of the source contract an import writes exist (sql/source_contract.sql creates them).
SELECT to_regclass('platform.delivery_attempts') IS NOT NULL AS delivery_attempts,
       to_regclass('platform.advisors') IS NOT NULL AS advisors
