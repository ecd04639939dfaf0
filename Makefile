# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

run: install
	$(BIN)/alliance up

test: lint
	scripts/ensure-broker
	scripts/ensure-browser
	scripts/ensure-node-packages
	$(BIN)/python -m pytest -p no:cacheprovider

# Style, formatting, and the layers of the architecture (the contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

bench: install
	scripts/ensure-broker
	$(BIN)/python -m bench
