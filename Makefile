# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)

.PHONY: run test lint format venv var-dir migrate seed lock clean openapi e2e-deps

$(STAMP): requirements-dev.lock
	@echo "Installing requirements-dev.lock into $(VENV) (only when the lock changes; about a minute)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade "pip>=24"
	@$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

E2E_LOCK := tests/e2e/package-lock.json
E2E_STAMP := tests/e2e/node_modules/.installed-$(shell cksum < $(E2E_LOCK) | cut -d' ' -f1)

## axe-core for the browser accessibility checks: npm ci from the lock, only when it changes;
## without npm those checks skip (and fail when CI=true).
$(E2E_STAMP): $(E2E_LOCK)
	@if command -v npm >/dev/null 2>&1; then \
		echo "Installing tests/e2e/package-lock.json (axe-core) with npm ci..."; \
		npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: the accessibility checks in tests/e2e will skip."; \
	fi

e2e-deps: $(E2E_STAMP)

## The embedded SQLite database and the filesystem broker live in var/ (or SERVICEDESK_VAR_DIR).
## Importing the settings creates nothing, so what opens the database makes the folder first
## (lint too: makemigrations --check reads the migration history).
var-dir:
	@mkdir -p "$${SERVICEDESK_VAR_DIR:-var}"

lint: var-dir

migrate: venv var-dir
	@$(PY) manage.py migrate --noinput

seed: migrate
	@$(PY) manage.py seed_demo

## Migrate, load the demo data (idempotent), then run the web app, two Celery workers (default queue;
## sla queue) and Celery beat on the embedded default (SQLite + filesystem broker) until Ctrl-C; a
## worker or beat that dies is restarted (docs/embedded-stack.md). HOST and PORT pick the address.
run: seed
	@$(PY) manage.py runstack

## Run the whole test suite on pytest-xdist workers, one per CPU. PYTEST_ARGS go to pytest
## (make test PYTEST_ARGS="tests/sla -k sweeper"); PYTEST_WORKERS=0 runs it in one process
## (for --pdb), PYTEST_WORKERS=4 on four workers.
PYTEST_WORKERS ?= auto
test: venv e2e-deps
	@$(PY) -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## ruff, mypy, the import-linter contracts of pyproject.toml (DESIGN.md §3 layering), Django's checks,
## migrations and the committed OpenAPI schema.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports --no-logo
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m core.api.schema --check

## Rewrite the committed OpenAPI schema (config/openapi.yaml) after changing the API.
openapi: venv
	$(PY) -m core.api.schema

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Re-resolve the lock files after editing pyproject.toml (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock

clean:
	rm -rf $(VENV) var
