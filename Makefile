# The portal's commands. README command 1 is `make run`; command 2 is `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= $(shell scripts/find-python)
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen --no-sync
MANAGE := $(RUN) python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint audit migrate demo worker beat up compose-check bench-import bench-notices seed-scale bench loadtest clean

install: .venv/.installed static/build/.built ## Virtualenv on Python 3.12+, locked dependencies, front-end assets

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==0.13.9

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/build/.built: node_modules/.installed scripts/build-assets.mjs $(wildcard static/src/*)
	npm run --silent build
	touch $@

migrate: install
	$(MANAGE) migrate --no-input

demo: migrate ## Demo data for every role; prints the logins
	$(MANAGE) seed_demo

# The demo turns staff two-factor sign-in off so that every demo login works at once;
# run `make run REQUIRE_STAFF_MFA=true` to see hub leads sent to set it up first.
run: export REQUIRE_STAFF_MFA ?= false

run: demo ## README command 1: install, migrate, demo data, serve on http://127.0.0.1:8000
	@# Without a broker, a small loop beside the server sends due notices to var/mail/.
	$(MANAGE) send_notices --every 300 & loop=$$!; trap 'kill $$loop 2>/dev/null' EXIT INT TERM; \
	  $(MANAGE) runserver $(HOST):$(PORT)

test: install ## README command 2: every test (PostgreSQL/Redis tests skip without DATABASE_URL/REDIS_URL)
	$(RUN) pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$status

lint: install ## Ruff: style, bugs and the security rules (S)
	$(RUN) ruff check .
	$(RUN) ruff format --check .

audit: install ## pip-audit over every locked dependency
	scripts/audit-deps

worker: install ## A Celery worker (needs REDIS_URL)
	$(RUN) celery -A hubportal worker --loglevel=info

beat: install ## Celery beat with the schedule in hubportal/celery.py (needs REDIS_URL)
	$(RUN) celery -A hubportal beat --loglevel=info

# The compose plugin (docker compose) where it exists, else Debian's docker-compose.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

up: ## The whole stack in containers (web, worker, beat, PostgreSQL, Redis, Mailpit on :8025)
	$(COMPOSE) up --build

compose-check: ## Validate docker-compose.yml
	$(COMPOSE) config -q

bench-import: install ## GIAS import against PostgreSQL's \copy (needs DATABASE_URL on PostgreSQL)
	$(MANAGE) bench_import

bench-notices: install ## A 10,000-notice sweep and send, ledger against direct sending (rolled back)
	$(MANAGE) bench_notices --count $(or $(COUNT),10000)

# National-scale data, the page benchmark and the load test, on their own PostgreSQL
# database (docs/performance.md has the latest figures and what they ran on).
SCALE_DB ?= hubportal_scale
SCALE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(SCALE_DB)
LOAD_USERS ?= 50
LOAD_SPAWN ?= 10
LOAD_TIME ?= 2m
LOAD_PORT ?= 8765

seed-scale: install ## 40 hubs, 51,000 schools, five years of the programme (SCALE_ARGS="--flush" to redo)
	psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(SCALE_DB)'" | grep -q 1 \
	  || createdb -h 127.0.0.1 -U postgres $(SCALE_DB)
	DATABASE_URL=$(SCALE_DATABASE_URL) $(MANAGE) migrate --no-input
	DATABASE_URL=$(SCALE_DATABASE_URL) $(MANAGE) seed_scale $(SCALE_ARGS)

bench: install ## Queries and server time of the main pages against the Django admin (after seed-scale)
	@mkdir -p var
	DATABASE_URL=$(SCALE_DATABASE_URL) $(MANAGE) bench --json var/bench.json $(BENCH_ARGS)

# Gunicorn with 4 workers, DEBUG off, on the seeded database; Locust drives signed-in
# hub leads, headteachers and specialists (LOAD_USERS, LOAD_TIME), then gunicorn stops.
loadtest: install ## LOAD_USERS users for LOAD_TIME against gunicorn (after seed-scale)
	@mkdir -p var/loadtest
	@export DATABASE_URL=$(SCALE_DATABASE_URL) DEBUG=false ALLOWED_HOSTS=127.0.0.1 \
	  SECURE_SSL_REDIRECT=false CONN_MAX_AGE=60 LOG_LEVEL=ERROR \
	  SECRET_KEY=$$(openssl rand -hex 32) LOAD_SESSIONS=var/loadtest/sessions.json; \
	$(MANAGE) collectstatic --no-input -v0 \
	&& $(MANAGE) scale_sessions --per-role $(LOAD_USERS) --out $$LOAD_SESSIONS \
	&& $(RUN) gunicorn hubportal.wsgi --workers 4 --bind 127.0.0.1:$(LOAD_PORT) --preload \
	  --pid var/loadtest/gunicorn.pid --error-logfile var/loadtest/gunicorn.log --daemon \
	&& trap 'sleep 1; kill $$(cat var/loadtest/gunicorn.pid)' EXIT \
	&& curl -s -o /dev/null --retry 60 --retry-connrefused --retry-delay 1 \
	  http://127.0.0.1:$(LOAD_PORT)/accounts/login/ \
	&& for i in $$(seq 16); do curl -s -o /dev/null http://127.0.0.1:$(LOAD_PORT)/accounts/login/; done \
	&& $(UV) run --frozen --group load locust -f loadtest/locustfile.py --headless \
	  --users $(LOAD_USERS) --spawn-rate $(LOAD_SPAWN) --run-time $(LOAD_TIME) \
	  --host http://127.0.0.1:$(LOAD_PORT) --csv var/loadtest/stats --only-summary

clean:
	rm -rf .venv .tools node_modules static/build var db.sqlite3
