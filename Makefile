# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)

.PHONY: run test lint format venv migrate seed lock clean openapi

$(STAMP): requirements-dev.lock
	@echo "Installing requirements-dev.lock into $(VENV) (only when the lock changes; about a minute)..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade "pip>=24"
	@$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

## The embedded SQLite database and the filesystem broker live in var/ (or SERVICEDESK_VAR_DIR).
migrate: venv
	@mkdir -p "$${SERVICEDESK_VAR_DIR:-var}"
	@$(PY) manage.py migrate --noinput

seed: migrate
	@$(PY) manage.py seed_demo

## Migrate, load the demo data (idempotent), then run the web app, a Celery worker and Celery beat
## on the embedded default (SQLite + filesystem broker) until Ctrl-C. HOST and PORT pick the address.
run: seed
	@$(PY) manage.py runstack

## Run the whole test suite.
test: venv
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
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
