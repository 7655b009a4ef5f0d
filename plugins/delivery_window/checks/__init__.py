"""Protocol checks: each is a probe (fetch through a hook) and a pure judgement of what was fetched."""
