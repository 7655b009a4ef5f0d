-- The advisor tiers (scopes tier:<name> of the monitor), in name order.
SELECT DISTINCT tier FROM platform.advisors ORDER BY tier
