"""The Rossmann feature pipeline: the raw-layer validation, then the lesson's feature steps.

Shared steps (small tables, once): store <- store states, weather <- state names, the Google
trend series, and the event features over train + test. Then one branch per table (``train``
after dropping ``Sales == 0``; ``test`` whole): date parts -> store -> trend -> weather ->
competition / Promo2 -> events. Steps and columns: ``docs/rossmann_data.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from l6pipeline.pipelines import rossmann_ingest
from l6pipeline.rossmann.features import build
from l6pipeline.rossmann.features.events import compute_event_features

PARAMS = "params:rossmann_data"
SPLITS = ("train", "test")


def _named(func: Callable, **kwargs) -> Callable:
    """``func`` with keyword arguments bound, keeping its name and docstring for kedro-viz."""
    return update_wrapper(partial(func, **kwargs), func)


def shared_nodes() -> list[Node]:
    return [
        Node(
            build.join_store_states,
            ["validated_store", "validated_store_states"],
            "rossmann_store",
            name="join_store_states",
        ),
        Node(
            build.join_weather_states,
            ["validated_weather", "validated_state_names"],
            "rossmann_weather",
            name="join_weather_states",
        ),
        Node(
            build.prepare_google_trend,
            "validated_googletrend",
            ["rossmann_trend_state", "rossmann_trend_national"],
            name="prepare_google_trend",
        ),
        Node(
            compute_event_features,
            ["validated_train", "validated_test", f"{PARAMS}.event_window_rows"],
            "rossmann_events",
            name="compute_event_features",
        ),
        Node(
            build.filter_sales, "validated_train", "rossmann_train_rows", name="filter_train_sales"
        ),
    ]


def branch_nodes(split: str) -> list[Node]:
    """The row-wise steps for one table (``rossmann_<split>_rows`` -> ``..._features``)."""
    rows = "validated_test" if split == "test" else f"rossmann_{split}_rows"
    step = f"rossmann_{split}_with"
    return [
        Node(build.add_date_parts, rows, f"{step}_dates", name=f"add_date_parts_{split}"),
        Node(
            _named(build.join_store, name=split),
            [f"{step}_dates", "rossmann_store"],
            f"{step}_store",
            name=f"join_store_{split}",
        ),
        Node(
            _named(build.join_google_trend, name=split),
            [
                f"{step}_store",
                "rossmann_trend_state",
                "rossmann_trend_national",
                f"{PARAMS}.trend_alignment",
            ],
            f"{step}_trend",
            name=f"join_google_trend_{split}",
        ),
        Node(
            _named(build.join_weather, name=split),
            [f"{step}_trend", "rossmann_weather"],
            f"{step}_weather",
            name=f"join_weather_{split}",
        ),
        Node(
            build.add_competition_promo2,
            f"{step}_weather",
            f"{step}_competition",
            name=f"add_competition_promo2_{split}",
        ),
        Node(
            _named(build.join_events, name=split),
            [f"{step}_competition", "rossmann_events"],
            f"rossmann_{split}_features",
            name=f"join_events_{split}",
        ),
    ]


def create_feature_pipeline() -> Pipeline:
    """The feature nodes alone (inputs: the ``validated_*`` datasets)."""
    return Pipeline(shared_nodes() + [n for split in SPLITS for n in branch_nodes(split)])


def create_pipeline(**kwargs) -> Pipeline:
    """Validation of the raw tables (``rossmann_ingest``) followed by the feature nodes."""
    return rossmann_ingest.create_pipeline() + create_feature_pipeline()
