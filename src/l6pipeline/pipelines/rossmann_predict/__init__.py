"""``rossmann_predict``: a raw test-format file -> versioned ``Id, Sales`` predictions, by the
MLflow model that ``rossmann_model`` logs (``l6pipeline.rossmann.serving``, see ``docs/serving.md``)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
