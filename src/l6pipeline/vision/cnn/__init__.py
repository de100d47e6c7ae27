"""The small CNN, its training and its metric (no Kedro)."""
