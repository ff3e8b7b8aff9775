PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint schemas bench mutation sandbox-demo

install:  ## create .venv and install reconcile with its test tools
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'

test:  ## lint, schema sync and the whole test suite (unit, kinds on moto, e2e against a moto server)
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 -q --dist worksteal

lint:
	$(BIN)/ruff check .
	$(BIN)/mypy reconciler

schemas:  ## regenerate schemas/ from the pydantic models
	$(BIN)/reconcile schema --out schemas

bench:
	$(BIN)/python -m benchmarks

mutation:  ## mutation score of the pure core (policy, diff, planner, plan, awsmodel) against the unit tests; not part of `make test`
	$(BIN)/python tests/mutation/score.py
