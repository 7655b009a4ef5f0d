"""Daily report, Slack summary and handoff log."""
