# The two set-up commands are `make run` and `make test`; each does all of its own set-up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
T ?= tests

.PHONY: run test lint bench bench-scoring services train clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# The service alone (what a plain `pip install .` gives).
$(VENV)/.run-installed: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) -e .
	touch $@

# The service plus the test and lint tools.
$(VENV)/.test-installed: pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) -e '.[test]'
	touch $@ $(VENV)/.run-installed

## Start the service on the embedded default (SQLite + embedded Redis + the deciding and the
## explaining worker + the trainer); `make run ARGS=--no-trainer` leaves the trainer out, and
## ARGS=--no-explanations-worker the second worker (`moderation up --help`).
ARGS ?=
run: $(VENV)/.run-installed
	$(VENV)/bin/moderation up $(ARGS)

## Run the whole suite (start PostgreSQL and Redis first when they are down), in JOBS processes
## (pytest-xdist; a module's tests stay in one, so its module-scoped stack starts once);
## JOBS=0 runs it in this process.
JOBS ?= 2
test: $(VENV)/.test-installed
	@. scripts/test-services.sh && $(PY) -m pytest -n $(JOBS) --dist loadscope $(T)

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check commands moderation workers classifiers tests bench
	$(VENV)/bin/ruff format --check commands moderation workers classifiers tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

## Throughput and latency of a running stack, then model load time, size and memory (docs/benchmarks.md).
bench: $(VENV)/.test-installed
	$(PY) -m bench.pipeline
	$(PY) -m bench.ratelimits
	$(PY) -m bench.perspective
	$(PY) -m bench.scoring
	$(PY) -m bench.model

bench-scoring: $(VENV)/.run-installed
	$(PY) -m bench.scoring

## Retrain the model shipped in the package (classifiers/models/default) from ../shared/datasets.
## A deployment adds versions with `moderation train` and promotes them instead.
train: $(VENV)/.run-installed
	$(PY) -m classifiers train ../shared/datasets classifiers/models/default

clean:
	rm -rf $(VENV) .moderation moderation.db moderation.db-* .pytest_cache .mypy_cache .ruff_cache
