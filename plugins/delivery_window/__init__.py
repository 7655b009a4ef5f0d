"""delivery-window: the 05:30-06:30 IST on-call window as an Airflow 3 DAG."""
