# Vendorwatch — the few commands a newcomer needs. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# `make test` always runs against real PostgreSQL and Redis; these are the local defaults.
TEST_DATABASE_URL ?= postgres://root@127.0.0.1:5432/vendorwatch
TEST_BROKER_URL ?= redis://127.0.0.1:6379/1

.DEFAULT_GOAL := help
.PHONY: help run test lint typecheck deploy-check migrate demo worker beat bench-feeds bench-api bench-matching clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime  ## Install, migrate, load the demo data and serve http://127.0.0.1:8000
	@mkdir -p var
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	@echo "Serving Vendorwatch at http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev  ## Run the whole test suite against PostgreSQL and Redis
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_BROKER_URL)} \
	CELERY_TASK_ALWAYS_EAGER=1 \
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev  ## ruff, formatting, migrations in sync, mypy
	@mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy .

deploy-check: $(VENV)/.runtime  ## The production profile passes Django's deployment checks
	DJANGO_ENV=production DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	DJANGO_ALLOWED_HOSTS=vendorwatch.example.org \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

migrate: $(VENV)/.runtime  ## Apply database migrations
	$(BIN)/python manage.py migrate --no-input

demo: $(VENV)/.runtime  ## Load (or refresh) the demo data; safe to repeat
	$(BIN)/python manage.py load_demo

worker: $(VENV)/.runtime  ## Run a Celery worker (needs CELERY_BROKER_URL)
	$(BIN)/celery -A config worker --loglevel INFO

beat: $(VENV)/.runtime  ## Run the Celery beat scheduler (needs CELERY_BROKER_URL)
	$(BIN)/celery -A config beat --loglevel INFO

bench-feeds: $(VENV)/.runtime  ## Time the KEV catalog and CSAF imports (first run, no-op) and our CSAF provider (export, index, a full walk)
	$(BIN)/python tests/bench/bench_feeds.py

bench-ui: $(VENV)/.dev  ## Server time of the main pages over 1,000,000 items and 200,000 flags, and of a campaign over 1,000 organizations
	$(BIN)/python tests/bench/bench_ui.py

bench-api: $(VENV)/.dev  ## API latency and throughput over 1,000,000 items and 200,000 flags (gunicorn, 10 clients)
	$(BIN)/python tests/bench/bench_api.py

ITEMS ?= 1000000
ROUNDS ?= 3
CASES ?= abcd
bench-matching: $(VENV)/.dev  ## Matching engine vs hand-written SQL over ITEMS (1,000,000) items, ROUNDS (3) rounds, CASES (abcd); publish-to-flag via 1 and 2 workers
	$(BIN)/python tests/bench/bench_matching.py --items $(ITEMS) --rounds $(ROUNDS) --cases $(CASES)

clean:  ## Remove the virtualenv and local state (var/)
	rm -rf $(VENV) var staticfiles
