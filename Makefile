# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
BIN := $(VENV)/bin
# No telemetry: no network attempt, no consent prompt (the committed .telemetry says the same).
export KEDRO_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1

.PHONY: install run test lint bench mlflow-ui viz notebooks clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,dask,ray]"
	touch $@

install: $(VENV)/.installed

## Generate the synthetic Rossmann tables, then run every default pipeline on them.
run: install
	$(BIN)/kedro run --pipelines rossmann_synthetic
	$(BIN)/kedro run

## Lint and run the whole test suite.
test: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest --durations=15

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

## Speed and memory figures (see benchmarks/README.md).
bench: install
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# kedro-mlflow starts the `mlflow` executable, which must be on PATH (an unactivated venv's is not).
mlflow-ui: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/kedro mlflow ui

viz: install
	$(BIN)/kedro viz run

## The lesson notebooks in JupyterLab, with a kernel that loads the project (after `make run`);
## ARGS passes options to jupyter lab, e.g. ARGS=--no-browser.
# An absolute store path: kernels start in notebooks/, where `sqlite:///mlflow.db` would be a new, empty store.
notebooks: install
	MLFLOW_TRACKING_URI="$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db}" \
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/kedro jupyter lab --ServerApp.root_dir=notebooks $(ARGS)
