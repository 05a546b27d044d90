# Every target sets up what it needs: a fresh clone only needs `make run` or `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ESNODE := $(PY) tools/esnode.py
ASSETS := static/vendor/leaflet/leaflet.js static/vendor/leaflet.markercluster/leaflet.markercluster.js

.DEFAULT_GOAL := help
.PHONY: help run test test-cluster es es-stop es-status cluster cluster-stop cluster-status load lint bench bench-reviews \
	clean assets browser pg redis relevance

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS) &: node_modules/.installed
	mkdir -p static/vendor/leaflet static/vendor/leaflet.markercluster
	cp -r node_modules/leaflet/dist/. static/vendor/leaflet/
	cp node_modules/leaflet.markercluster/dist/*.js node_modules/leaflet.markercluster/dist/*.css \
		static/vendor/leaflet.markercluster/

assets: $(ASSETS) ## Copy front-end packages from node_modules into static/vendor

browser: ## Install Debian's chromium for the browser tests (when missing)
	@command -v chromium >/dev/null || tools/install-chromium.sh

es: $(STAMP) ## Start (or reuse) the local Elasticsearch node
	$(ESNODE) start

es-stop: $(STAMP) ## Stop the local Elasticsearch node
	$(ESNODE) stop

es-status: $(STAMP) ## Show the local node's cluster health
	$(ESNODE) status

cluster: $(STAMP) ## Start (or reuse) a local three-node cluster on ports 9201-9203
	$(ESNODE) --cluster start

cluster-stop: $(STAMP) ## Stop the local three-node cluster
	$(ESNODE) --cluster stop

cluster-status: $(STAMP) ## Show the local cluster's health
	$(ESNODE) --cluster status

load: es ## Load the fixtures into the store and the index
	$(PY) -m indexer load fixtures/clinics.ndjson
	$(PY) -m indexer articles

run: load $(ASSETS) ## Serve the app with the fixtures on http://127.0.0.1:8000
	DIRECTORY_PUBLIC_URL=$${DIRECTORY_PUBLIC_URL:-http://127.0.0.1:8000} $(VENV)/bin/gunicorn 'directory:create_app()'

test: es $(ASSETS) browser pg redis ## Run the whole suite against a real node: SQLite store, then PostgreSQL
	$(PY) -m pytest -m "not cluster" $(PYTEST_ARGS)
	TEST_DATABASE_URL=$$($(PY) tools/pgnode.py url) $(PY) -m pytest -m "not browser and not cluster and not once" $(PYTEST_ARGS)

# The shape of docker-compose.yml's cluster profile (tests/cluster/conftest.py): the client given
# the three nodes' URLs, indices of three shards and one replica, the store on PostgreSQL.
test-cluster: cluster pg ## Failover tests against the local three-node cluster (kills and restarts nodes)
	TEST_DATABASE_URL=$$($(PY) tools/pgnode.py url) $(PY) -m pytest -m cluster tests/cluster $(PYTEST_ARGS)

relevance: es ## Pass rates of the judged relevance set per category (tests/relevance/)
	$(PY) -m pytest tests/relevance -q -s $(PYTEST_ARGS)

pg: $(STAMP) ## Start (or reuse) a throwaway local PostgreSQL server for the tests
	$(PY) tools/pgnode.py start

redis: $(STAMP) ## Start (or reuse) a throwaway local Redis server for the rate-limit tests
	$(PY) tools/redisnode.py start

bench: es bench-reviews ## Benchmarks: API vs direct Elasticsearch, and the review store (see benchmarks/README.md)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/run.py $(BENCH_ARGS)

bench-reviews: pg ## Review store benchmark in PostgreSQL: publish a review, page a clinic's reviews
	$(PY) benchmarks/review_store.py $(REVIEW_BENCH_ARGS)

lint: $(STAMP) ## ruff check and format check
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean: ## Remove the virtualenv and local state (not the node)
	rm -rf $(VENV) var node_modules static/vendor
