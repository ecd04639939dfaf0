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

test: install
	scripts/ensure-broker
	scripts/ensure-browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -p no:cacheprovider

lint: install
	$(BIN)/ruff check .

bench: install
	scripts/ensure-broker
	$(BIN)/python -m bench
