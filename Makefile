# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
# The supported interpreter: pyproject.toml's requires-python (>=3.11,<3.12), which the lock files
# in requirements/ were compiled for. `make PYTHON=/path/to/python3.11` picks another binary.
PYTHON ?= python3.11
BIN := $(VENV)/bin
# No telemetry: no network attempt, no consent prompt (the committed .telemetry says the same).
export KEDRO_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1

.PHONY: install run test lint check-data figures bench mlflow-ui viz notebooks clean-data lock submission serve

# One sentence and exit 2 when the interpreter is missing or outside 3.11.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { \
	  echo "l6pipeline needs Python 3.11 (pyproject.toml: requires-python >=3.11,<3.12), but" \
	    "'$(PYTHON)' is missing or another version: install 3.11 or run make PYTHON=/path/to/python3.11." >&2; \
	  exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locked versions (requirements/dev.txt, from `make lock`), then the project itself without
# resolving again. Reinstall only when the lock or pyproject.toml changes.
# TORCH=auto: the CUDA build of torch where `nvidia-smi` lists a GPU, else the CPU build, from
# PyTorch's CPU index when it answers within 10 s (else from PyPI); TORCH=cpu or cuda forces one.
TORCH ?= auto
$(VENV)/.installed: requirements/dev.txt requirements/install.py pyproject.toml | $(BIN)/python
	$(BIN)/python requirements/install.py --torch $(TORCH) -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

## Re-resolve the lock files after changing pyproject.toml's dependencies (needs the network);
## LOCK_ARGS=--upgrade moves every pin to the newest allowed version.
# base.txt: what `pip install .` needs; dev.txt: that plus the dev, dask and ray extras (make installs it).
# The lock names plain `torch==X` (no `+cpu` local label), so that it installs from PyPI's CUDA
# wheels, PyTorch's CPU index, or a local CPU wheel alike (docs/install.md).
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --strip-extras --no-emit-find-links --no-emit-index-url --no-emit-trusted-host
lock: install
	$(PIP_COMPILE) $(LOCK_ARGS) -o requirements/base.txt pyproject.toml
	$(PIP_COMPILE) $(LOCK_ARGS) --extra dev,dask,ray -o requirements/dev.txt pyproject.toml
	sed -i -E 's/^(torch(vision)?==[^+ ]+)\+[a-z0-9.]+/\1/' requirements/base.txt requirements/dev.txt

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

## The README's pictures, docs/figures/*.png: the pipelines that draw them, on the synthetic
## tables and the embedded images, then shrunk copies of their PNGs (src/l6pipeline/project/figures.py).
figures: install
	$(BIN)/kedro run --pipelines rossmann_synthetic
	$(BIN)/kedro run --pipelines rossmann_data,rossmann_model,cnn
	$(BIN)/kedro run --pipelines augmentation --to-outputs augmentation_photo_galleries
	$(BIN)/python -m l6pipeline.project.figures --to docs/figures

## Check your own Rossmann files in data/01_raw/rossmann (docs/real_data.md): the pipeline's
## validation (a missing or malformed file is one paragraph naming it), then the tests that read
## the real files (pytest marker `realdata`), on those files.
check-data: install
	$(BIN)/kedro run --env kaggle --pipelines rossmann_ingest
	$(BIN)/python -m pytest -m realdata -p no:cacheprovider tests

## Speed and memory figures (see benchmarks/README.md).
bench: install
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# kedro-mlflow starts the `mlflow` executable, which must be on PATH (an unactivated venv's is not).
mlflow-ui: install
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/kedro mlflow ui

viz: install
	$(BIN)/kedro viz run

## The lesson notebooks in JupyterLab, with a kernel that loads the project (after `make run`);
## ENV=kaggle opens them on the real-data run; ARGS passes options to jupyter lab, e.g. ARGS=--no-browser.
# An absolute store path: kernels start in notebooks/, where `sqlite:///mlflow.db` would be a new, empty store.
# `kedro jupyter lab --env E` exports KEDRO_ENV=E, which the notebooks' `%reload_kedro .` reads:
# no cell names an environment. ENV's default (kaggle, for `make submission`) does not apply here.
NOTEBOOK_ENV = $(if $(filter file,$(origin ENV)),base,$(ENV))
notebooks: install
	MLFLOW_TRACKING_URI="$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db}" \
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/kedro jupyter lab \
	  $(if $(filter-out base,$(NOTEBOOK_ENV)),--env $(NOTEBOOK_ENV)) --ServerApp.root_dir=notebooks $(ARGS)

## The newest Kaggle submission (of `kedro run --env kaggle ...`) copied to one stable path,
## data/07_model_output/kaggle_submission.csv (ENV=base: the synthetic-data one, to base_submission.csv).
ENV ?= kaggle
submission: install
	@$(BIN)/python -m l6pipeline.project.outputs submission --env $(ENV)

## Serve the newest rossmann_pipeline / rossmann_pipeline_kaggle model of the MLflow store on
## http://127.0.0.1:$(PORT) (docs/serving.md); NAME=rossmann_pipeline_kaggle picks one name,
## WORKERS=2 starts two worker processes, MAX_BODY_MB the largest request body (413 above it),
## LOG_FILE=serve.log also logs to that (rotating) file. SIGTERM / Ctrl-C stop it cleanly.
PORT ?= 5001
WORKERS ?= 1
MAX_BODY_MB ?= 10
serve: install
	@uri=$$($(BIN)/python -m l6pipeline.project.outputs model-uri $(if $(NAME),--name $(NAME))) || exit 2; \
	MLFLOW_TRACKING_URI="$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db}" \
	exec $(BIN)/python -m l6pipeline.rossmann.serving.server --model-uri "$$uri" --host 127.0.0.1 \
	  --port $(PORT) --workers $(WORKERS) --max-body-mb $(MAX_BODY_MB) $(if $(LOG_FILE),--log-file $(LOG_FILE))
