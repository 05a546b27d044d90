# Every target sets up what it needs: a fresh clone only needs `make run` or `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ESNODE := $(PY) tools/esnode.py

.DEFAULT_GOAL := help
.PHONY: help run test es es-stop es-status load lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

es: $(STAMP) ## Start (or reuse) the local Elasticsearch node
	$(ESNODE) start

es-stop: $(STAMP) ## Stop the local Elasticsearch node
	$(ESNODE) stop

es-status: $(STAMP) ## Show the local node's cluster health
	$(ESNODE) status

load: es ## Load the fixtures into the store and the index
	$(PY) -m indexer load fixtures/clinics.ndjson

run: load ## Serve the app with the fixtures on http://127.0.0.1:8000
	$(VENV)/bin/gunicorn 'directory:create_app()'

test: es ## Run the whole test suite against a real node
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check and format check
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean: ## Remove the virtualenv and local state (not the node)
	rm -rf $(VENV) var
