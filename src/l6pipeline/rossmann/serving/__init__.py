"""Serving the trained Rossmann pipeline on raw test-format rows (no Kedro, no MLflow here)."""
