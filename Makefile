# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup lint format e2e run-prod worker beat web realtime bench bench-smoke clean messages

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

## run-prod: the production topology on one machine without Docker (nginx on :8000 in front
## of gunicorn, uvicorn for /ws/, Celery worker and beat). Needs DATABASE_URL, REDIS_URL,
## SECRET_KEY and nginx; see README.md. DEMO=1 also seeds the demo data and prints a login.
run-prod: $(STAMP)
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" -a -n "$$SECRET_KEY" || \
		(echo "Set DATABASE_URL, REDIS_URL and SECRET_KEY (see README.md)" && exit 1)
	@if [ -n "$(DEMO)" ]; then \
		$(PY) manage.py migrate --noinput && $(PY) manage.py bootstrap_demo; fi
	HOST=$(HOST) PORT=$(PORT) bin/run-prod

## web, realtime, worker, beat: one production process each, in the foreground (behind a
## proxy such as the config printed by `bin/run-prod --nginx-config`).
web: $(STAMP)
	$(VENV)/bin/gunicorn helpdesk.wsgi:application --bind $(HOST):8001 --workers 2 \
		--access-logfile - --no-control-socket

realtime: $(STAMP)
	$(VENV)/bin/uvicorn helpdesk.asgi:application --host $(HOST) --port 8002 --proxy-headers

worker: $(STAMP)
	$(VENV)/bin/celery -A helpdesk worker --loglevel=info --concurrency 2

beat: $(STAMP)
	mkdir -p $${HELPDESK_VAR_DIR:-var}
	$(VENV)/bin/celery -A helpdesk beat --loglevel=info \
		--schedule $${HELPDESK_VAR_DIR:-var}/celerybeat-schedule

## bench: every speed figure on PostgreSQL + Redis with the production topology; seeds its
## databases once (100k and 1M tickets: about 30 min the first time), then about 40 min.
## BENCH_ARGS: --runs N, --quick, --only ack,intake,queue,dashboards,summary,sla,rules,import
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

## bench-smoke: a few figures on 10k tickets (PostgreSQL), fails when one is over 3x
## bench/baseline.json; BENCH_SMOKE_DATABASE_URL picks the database (created if missing)
bench-smoke: $(STAMP)
	DATABASE_URL=$${BENCH_SMOKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/helpdesk_bench_smoke} \
		$(PY) bench/smoke.py $(SMOKE_ARGS)

.PHONY: faults soak

## faults: the fault tests (Redis and PostgreSQL outages, killed workers, a dead channel
## endpoint, beat away for an hour) on a PostgreSQL cluster and Redis of their own.
faults: $(STAMP)
	HELPDESK_FAULTS=1 $(PY) -m pytest tests/faults -p no:cacheprovider

## soak: a bounded load run on the production topology, then a count (every accepted message
## stored exactly once); SOAK_SECONDS and SOAK_CONCURRENCY size it (see docs/operations.md).
soak: $(STAMP)
	$(PY) bench/soak.py --seconds $(or $(SOAK_SECONDS),120) --concurrency $(or $(SOAK_CONCURRENCY),16)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
