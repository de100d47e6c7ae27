"""``rossmann_predict``: a raw test-format file -> versioned ``Id, Sales`` predictions, by the
MLflow model that ``rossmann_model`` logs (the whole pipeline from raw rows, see
``docs/serving.md``)."""

from .pipeline import create_inference_pipeline, create_pipeline

__all__ = ["create_inference_pipeline", "create_pipeline"]
