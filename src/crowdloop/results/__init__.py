"""Aggregated answers per task, and exports."""
