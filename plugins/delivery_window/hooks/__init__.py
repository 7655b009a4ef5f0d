"""Hooks for the external services, built on the Airflow providers' hooks."""
