"""Every parameter a node reads is a field of its pipeline's typed parameters, checked before the
first node runs: no node reads a raw mapping (docs/architecture.md#parameters)."""

from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest
from kedro.framework.project import configure_project

from l6pipeline.core.params import is_config
from l6pipeline.pipeline_registry import parameter_checks, register_pipelines

SCALARS = (str, int, float, bool, int | None, float | None, str | None)


def parameter_inputs() -> list[tuple[str, str, typing.Any]]:
    """(node, ``params:`` input, the annotation of the argument it fills) of every node of every
    registered pipeline."""
    configure_project("l6pipeline")
    found = {}
    for pipeline in register_pipelines().values():
        for node in pipeline.nodes:
            func = inspect.unwrap(node.func)
            inputs = node._inputs
            if isinstance(inputs, dict):
                arguments = dict(inputs)
            else:
                inputs = [inputs] if isinstance(inputs, str) else inputs or []
                arguments = dict(inspect.signature(func).bind_partial(*inputs).arguments)
            hints = typing.get_type_hints(func)
            for argument, dataset in arguments.items():
                if isinstance(dataset, str) and dataset.startswith("params:"):
                    found[node.name, dataset] = hints.get(argument)
    return [(node, dataset, found[node, dataset]) for node, dataset in sorted(found)]


def field_type(root: type, path: list[str]) -> typing.Any:
    """The annotation of the field at ``path`` below ``root``'s dataclass fields."""
    annotation: typing.Any = root
    for part in path:
        names = {field.name for field in dataclasses.fields(annotation)}
        assert part in names, f"{root.__name__} has no field {part!r} ({'.'.join(path)})"
        annotation = typing.get_type_hints(annotation)[part]
    return annotation


INPUTS = parameter_inputs()
NODES = {node.name: node for pipeline in register_pipelines().values() for node in pipeline.nodes}


def test_the_pipelines_read_parameters():
    assert len(INPUTS) > 20


@pytest.mark.parametrize(("node", "dataset", "annotation"), INPUTS)
def test_each_parameter_a_node_reads_is_a_typed_field_of_its_pipelines_parameters(
    node, dataset, annotation
):
    root, *path = dataset.removeprefix("params:").split(".")
    validator = parameter_checks().get(root)
    assert validator is not None, f"{node} reads {root}, which no parameters.py checks"
    parameters = getattr(validator, "__self__", None)
    assert is_config(parameters) and dataclasses.is_dataclass(parameters), (
        f"{root} is checked by {validator}, not by a typed dataclass's from_params"
    )
    expected = field_type(parameters, path)
    assert annotation == expected, f"{node} takes {dataset} as {annotation!r}, not {expected!r}"
    assert is_config(annotation) or annotation in SCALARS


@pytest.mark.parametrize(
    ("node", "annotation"),
    sorted(
        {(node, annotation) for node, _, annotation in INPUTS if is_config(annotation)},
        key=lambda pair: (pair[0], pair[1].__name__),
    ),
)
def test_a_node_that_takes_a_config_builds_it_from_the_mapping_kedro_passes(node, annotation):
    func = NODES[node].func
    assert func is not inspect.unwrap(func), f"{node} takes {annotation.__name__}: @takes_configs"
