# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint format e2e run-prod worker beat web realtime bench clean messages

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

## run: install, migrate, seed a demo if the database is empty, print the login, serve on :8000
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

## test: install and run the suite (browser tests run when /usr/bin/chromium exists)
test: $(STAMP)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## messages: refresh and compile the Russian catalogue (needs GNU gettext)
messages: $(STAMP)
	$(PY) manage.py makemessages -l ru --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

## run-prod: the production topology on one machine without Docker.
## Needs DATABASE_URL, REDIS_URL and SECRET_KEY; see README.md.
run-prod: $(STAMP)
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || (echo "Set DATABASE_URL and REDIS_URL" && exit 1)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py bootstrap_demo
	bin/run-prod

web: $(STAMP)
	$(VENV)/bin/gunicorn helpdesk.wsgi:application --bind $(HOST):8001 --workers 2

realtime: $(STAMP)
	$(VENV)/bin/uvicorn helpdesk.asgi:application --host $(HOST) --port 8002

worker: $(STAMP)
	$(VENV)/bin/celery -A helpdesk worker --loglevel=info --concurrency 2

beat: $(STAMP)
	$(VENV)/bin/celery -A helpdesk beat --loglevel=info --schedule var/celerybeat-schedule

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
