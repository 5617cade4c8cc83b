# planner: `make run` serves the demo on SQLite with gunicorn; `make test` runs the whole suite.
# Both set up everything a fresh machine lacks (virtualenv, Python and npm packages,
# Chromium for the browser tests, the database schema).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 3
THREADS ?= 4

.PHONY: setup run test browser lint i18n bench-decompose bench-sync clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium drives the browser tests (a Playwright browser download is impossible
# here); Caddy and certutil run the HTTPS chain test (Caddy's local CA in an NSS database);
# pg_dump/pg_restore back up PostgreSQL.
BROWSER_TOOLS := chromium caddy certutil pg_dump
browser:
	@missing=""; for t in $(BROWSER_TOOLS); do command -v $$t >/dev/null 2>&1 || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk \
	    caddy libnss3-tools postgresql-client >/dev/null; fi

run: setup
	$(FLASK) db upgrade
	$(FLASK) planner demo
	$(FLASK) planner reminders worker --stop-with-pid $$PPID &  # push reminders
	SESSION_COOKIE_SECURE=0 $(VENV)/bin/gunicorn --bind $(HOST):$(PORT) \
	  --workers $(WORKERS) --threads $(THREADS) wsgi:app

# The whole suite, with branch coverage reported at the end (a figure, not a gate: the
# files not fully covered and the total). COVERAGE= runs it without the tracer.
COVERAGE ?= --cov --cov-report=term:skip-covered
test: setup browser
	$(PY) -m pytest $(COVERAGE) $(PYTEST_ARGS)

# Style, the floors (import-linter contracts in pyproject.toml), functions of at most 60 lines
# and complexity 15 (tools/function_limits.py holds the exceptions), modules of at most 400
# lines, no import cycle and no request state below the web (tools/module_limits.py), strict
# mypy on the engine and the services.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) tools/function_limits.py
	$(PY) tools/module_limits.py
	$(VENV)/bin/mypy planner/engine planner/services

i18n: setup
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location \
	  -o planner/translations/messages.pot . >/dev/null
	$(VENV)/bin/pybabel update -i planner/translations/messages.pot -d planner/translations \
	  --no-fuzzy-matching
	$(PY) tools/po_fill.py

clean:
	rm -rf $(VENV) node_modules instance test-artifacts
