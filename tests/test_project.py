"""Project-level contracts: registry, catalog metadata, MLflow store, telemetry."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from tests.conftest import PROJECT_ROOT

PIPELINES = {
    "rossmann_synthetic",
    "rossmann_ingest",
    "rossmann_data",
    "rossmann_model",
    "rossmann_predict",
    "cnn",
    "augmentation",
}
# Kedro's data-engineering convention, in the order data flow through them.
LAYER_ORDER = [
    "raw",
    "intermediate",
    "primary",
    "feature",
    "model_input",
    "models",
    "model_output",
    "reporting",
]
LAYERS = set(LAYER_ORDER)


@pytest.fixture(scope="module")
def pipelines():
    bootstrap_project(PROJECT_ROOT)
    from kedro.framework.project import pipelines as registry

    return dict(registry)


def _context(project: Path, env: str | None = None):
    bootstrap_project(project)
    return KedroSession.create(project_path=project, env=env).load_context()


def test_every_pipeline_is_registered(pipelines):
    assert PIPELINES <= set(pipelines)


def test_default_runs_everything_but_the_generator_and_batch_prediction(pipelines):
    on_demand = {"rossmann_synthetic", "rossmann_predict"}
    default_nodes = set(pipelines["__default__"].nodes)
    for name in on_demand:
        assert not default_nodes & set(pipelines[name].nodes), name
    for name in PIPELINES - on_demand:
        assert set(pipelines[name].nodes) <= default_nodes, name


def test_every_node_has_an_explicit_name(pipelines):
    for node in (node for pipe in pipelines.values() for node in pipe.nodes):
        assert node.name != str(node), f"node {node} has no explicit name="


@pytest.mark.parametrize("env", [None, "kaggle"])
def test_every_catalog_entry_has_a_kedro_viz_layer(kedro_project, env):
    catalog = _context(kedro_project, env).config_loader["catalog"]
    missing = {
        name: entry.get("metadata")
        for name, entry in catalog.items()
        if not name.startswith("_")
        and entry.get("metadata", {}).get("kedro-viz", {}).get("layer") not in LAYERS
    }
    assert not missing, f"catalog entries without a valid kedro-viz layer: {missing}"


def test_mlflow_defaults_to_a_sqlite_store_in_the_project(kedro_project, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    config = _context(kedro_project).config_loader["mlflow"]
    assert config["server"]["mlflow_tracking_uri"] == "sqlite:///mlflow.db"


def test_mlflow_tracking_uri_is_overridable_by_environment(kedro_project, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////tmp/elsewhere.db")
    config = _context(kedro_project).config_loader["mlflow"]
    assert config["server"]["mlflow_tracking_uri"] == "sqlite:////tmp/elsewhere.db"


def test_telemetry_consent_is_refused_in_the_project(monkeypatch):
    from kedro_telemetry.plugin import _check_for_telemetry_consent

    for var in ("DO_NOT_TRACK", "KEDRO_DISABLE_TELEMETRY"):
        monkeypatch.delenv(var, raising=False)
    assert _check_for_telemetry_consent(PROJECT_ROOT) is False


def _layer(catalog, name: str) -> str | None:
    dataset = catalog.get(name)
    metadata = getattr(dataset, "metadata", None) or {}
    return metadata.get("kedro-viz", {}).get("layer")


@pytest.mark.parametrize("env", [None, "kaggle"])
def test_layers_only_move_forward_along_every_node(kedro_project, pipelines, env):
    """kedro-viz draws layers as bands; a node feeding an earlier layer breaks the picture."""
    catalog = _context(kedro_project, env).catalog
    rank = {layer: i for i, layer in enumerate(LAYER_ORDER)}
    backwards = []
    for node in pipelines["__default__"].nodes + pipelines["rossmann_synthetic"].nodes:
        inputs = [_layer(catalog, d) for d in node.inputs if not d.startswith("params:")]
        outputs = [_layer(catalog, d) for d in node.outputs]
        latest_in = max((rank[x] for x in inputs if x), default=-1)
        earliest_out = min((rank[x] for x in outputs if x), default=len(rank))
        if latest_in > earliest_out:
            backwards.append(f"{node.name}: {inputs} -> {outputs}")
    assert not backwards, "nodes writing to an earlier layer than they read:\n" + "\n".join(
        backwards
    )
