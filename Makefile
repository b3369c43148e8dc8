# Talent CRM — the two commands a newcomer needs:
#   make run    fresh machine (Python 3.11+) to a running app at http://demo.localhost:8000/
#   make test   lint (ruff, mypy) + the whole test suite, browser tests included
# DATABASE_URL / REDIS_URL are used when set; otherwise scripts/dev.py starts an embedded
# PostgreSQL and Redis under .local/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
ASSETS := static/vendor/.installed
PYTEST_ARGS ?=
SMOKE_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install assets browser catalogues messages run test smoke lint format bench clean

help:
	@echo "make run     start the app (embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL)"
	@echo "make test    ruff + mypy + the whole pytest suite (PYTEST_ARGS='-k ...' to narrow it)"
	@echo "make smoke   make run in both modes: ready, login page, all stopped by Ctrl-C"
	@echo "make bench   run every bench/bench_*.py and print their tables"
	@echo "make format  apply ruff's formatting and safe fixes"
	@echo "make messages  add new translatable strings to locale/*/django.po, drop unused ones"

# The stamp is newer than requirements.lock once installed, so re-runs skip pip entirely.
$(INSTALLED): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed (set PYTHON=python3.x)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

install: $(INSTALLED)

# Front-end assets come from the npm registry, pinned by package-lock.json, and are copied into
# static/vendor/ (git-ignored): nothing is loaded from a CDN or committed. axe-core (a
# devDependency) stays in node_modules: the accessibility test injects it, no page serves it.
$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install the front-end assets"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	touch $@

assets: $(ASSETS)

# Browser tests use CHROMIUM_PATH, else Debian's /usr/bin/chromium, else Playwright's own build
# (downloaded here only when neither exists).
browser: $(INSTALLED)
	@if [ -z "$$CHROMIUM_PATH" ] && [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null; \
	then $(VENV)/bin/playwright install chromium; fi

# Translation catalogues: locale/*/LC_MESSAGES/django.po compiled to .mo (git-ignored) by babel,
# in pure Python, so no system gettext is needed. Only missing or older .mo files are rewritten.
catalogues: $(INSTALLED)
	$(PY) -m config.catalogues compile

# After changing translatable strings: add them to every .po (untranslated) and drop the ones no
# source uses; then translate the empty entries. `make test` fails until the catalogues agree.
messages: $(INSTALLED)
	$(PY) -m config.catalogues update

run: $(INSTALLED) $(ASSETS) catalogues
	$(PY) scripts/dev.py run

# mypy: zero errors outside tests/; tests/ may only have the errors listed in mypy-baseline.txt,
# which can only shrink (scripts/mypy_check.py --update-baseline drops the fixed ones).
lint: $(INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/mypy_check.py

# --create-db: a stale test database must never hide a migration problem. pytest's own exit
# code goes through (5 = no tests collected is a failure here too).
test: lint $(ASSETS) browser catalogues
	$(PY) scripts/dev.py exec -- $(VENV)/bin/pytest --create-db $(PYTEST_ARGS)

# scripts/smoke_run.py --help lists its options (SMOKE_ARGS="--mode embedded --hold 60").
smoke: $(INSTALLED) $(ASSETS) catalogues
	$(PY) scripts/smoke_run.py $(SMOKE_ARGS)

format: $(INSTALLED)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmark-only peers (django-post-office) come from bench/requirements.txt, hashes checked;
# make run and make test never install them.
bench: $(INSTALLED)
	$(PY) -m pip install -qq --disable-pip-version-check --require-hashes -r bench/requirements.txt
	$(PY) scripts/dev.py exec -- $(PY) -m bench.run

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles .local/redis .local/celerybeat-schedule*
