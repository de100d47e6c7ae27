"""The typed ``rossmann_data`` parameters: every key checked with its full dotted name, the
defaults those of the feature functions (an older served model's parameters lack some keys)."""

from __future__ import annotations

import pytest

from l6pipeline.core.params import RejectedParameters, check_parameters
from l6pipeline.pipelines.rossmann_data.parameters import PARAMETERS
from l6pipeline.rossmann.features.events import WINDOW_ROWS
from l6pipeline.rossmann.features.parameters import RossmannDataParameters
from l6pipeline.rossmann.features.recent import RecentSalesConfig
from tests.conftest import base_parameters


def test_the_base_parameters_are_the_defaults():
    params = RossmannDataParameters.from_params(base_parameters("rossmann_data"))
    assert params == RossmannDataParameters()
    assert params.event_window_rows == WINDOW_ROWS and params.store_partitions == 0
    assert params.recent_sales == RecentSalesConfig()


def test_a_served_models_parameters_without_the_newer_keys_build():
    old = {"trend_alignment": "fastai", "event_window_rows": 5, "recent_sales": None}
    params = RossmannDataParameters.from_params(old)
    assert (params.trend_alignment, params.event_window_rows) == ("fastai", 5)
    assert params.recent_sales == RecentSalesConfig() and params.store_partitions == 0


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("trend_alignment", "iso", "rossmann_data.trend_alignment = 'iso': must be one of"),
        ("event_window_rows", 0, "rossmann_data.event_window_rows = 0: must be an integer >= 1"),
        ("store_partitions", -1, "rossmann_data.store_partitions = -1: must be an integer >= 0"),
        ("recent_sales", {"spans": []}, "rossmann_data.recent_sales.spans = []: must be one or"),
        ("store_partition", 2, "rossmann_data.store_partition: unknown rossmann_data parameters"),
    ],
)
def test_a_bad_key_is_named_with_its_full_dotted_name(key, value, expected):
    data = base_parameters("rossmann_data") | {key: value}
    with pytest.raises(RejectedParameters) as caught:
        check_parameters({"rossmann_data": data}, ["rossmann_data.recent_sales"], PARAMETERS)
    assert expected in str(caught.value)
