"""Fast.ai's get_transforms on kornia, galleries, the regularization study (no Kedro)."""
