"""Remediation runbooks: which one to run (pure) and their steps."""
