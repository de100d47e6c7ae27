"""A served request path built from small synthetic tables (no MLflow): what the model carries,
the training run's own feature tables, and a small untrained network."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from l6pipeline.pipelines.rossmann_data.pipeline import build_feature_tables, run_feature_pipeline
from l6pipeline.rossmann.features.parameters import RossmannDataParameters
from l6pipeline.rossmann.model.processors import TabularProcessor
from l6pipeline.rossmann.model.train import ModelConfig, build_model
from l6pipeline.rossmann.raw.synthetic import generate_rossmann
from l6pipeline.rossmann.raw.validation import validate_tables
from l6pipeline.rossmann.serving import inference
from tests.rossmann.conftest import SMALL_PARAMS

DATA_PARAMS = RossmannDataParameters.from_params(
    {"trend_alignment": "google_week", "event_window_rows": 7, "recent_sales": {}}
)
CAT_VARS = ["Store", "DayOfWeek", "StateHoliday", "StoreType", "Promo_fw", "State"]
CONT_VARS = ["CompetitionDistance", "Max_TemperatureC", "trend", "AfterStateHoliday", "Promo"]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return validate_tables(generate_rossmann(SMALL_PARAMS))


@pytest.fixture(scope="module")
def carried(tables) -> dict:
    """What the served model carries, from the validated tables."""
    return {
        "tables": run_feature_pipeline(tables, inference.carried_tables()),
        "history": inference.event_history(tables["train"], tables["test"]),
    }


@pytest.fixture(scope="module")
def feature_tables(tables) -> tuple[pd.DataFrame, pd.DataFrame]:
    return build_feature_tables(tables)


@pytest.fixture(scope="module")
def small_model(feature_tables):
    train, _ = feature_tables
    processor = TabularProcessor.fit(train, CAT_VARS, CONT_VARS)
    torch.manual_seed(0)
    config = ModelConfig(layers=(8,), ps=(0.0,), emb_drop=0.0)
    return processor.to_dict(), build_model(processor, float(train["Sales"].max()), config).eval()


@pytest.fixture(scope="module")
def served(carried, small_model) -> inference.ServedPipeline:
    processors, model = small_model
    return inference.ServedPipeline(
        model, processors, carried["tables"], carried["history"], DATA_PARAMS
    )


@pytest.fixture
def test_rows(tables) -> pd.DataFrame:
    """The test table in the served model's input types (a fresh copy per test)."""
    return inference.serving_frame(tables["test"]).reset_index(drop=True)
