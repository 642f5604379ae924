# engage — the two commands are `make run` and `make test`; everything else they need is
# installed on the way (Python packages into .venv, front-end packages with npm, compiled
# translations). Targets are driven by stamp files, so a second run only redoes what changed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app engage
POSTGRES_TEST_URL ?= postgresql://postgres@127.0.0.1/

PY_STAMP := $(VENV)/.engage-installed
NODE_STAMP := node_modules/.engage-installed
VENDOR := static/vendor
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/axe.min.js $(VENDOR)/leaflet/.copied \
                $(VENDOR)/jsQR.js
# Every catalog that exists gets compiled; none yet is fine (the pattern rule has no work).
PO_FILES := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
LANGUAGES := ro en

.PHONY: help install pdf-libraries run test test-postgres browser lint messages translations bench bench-ideas bench-consultations clean

help:
	@echo "make run             install, migrate, load demo data, serve http://127.0.0.1:$(PORT)"
	@echo "make test            install and run the whole suite (SQLite, browser tests included)"
	@echo "make test-postgres   the same suite on PostgreSQL ($(POSTGRES_TEST_URL))"
	@echo "make lint            ruff"
	@echo "make messages        extract messages and update the ro/en catalogs"
	@echo "make translations    compile the catalogs"
	@echo "make bench           throughput against a hello-world Flask app (needs wrk)"
	@echo "make clean           remove .venv, node_modules, static/vendor and compiled catalogs"

# ------------------------------------------------------------------ installation

install: $(PY_STAMP) $(VENDOR_FILES) $(MO_FILES) pdf-libraries

# WeasyPrint (the PDFs of workshop packs and of the contract) draws text with Pango, a system
# library, and needs a font with ș and ț; install them when they are missing and we may.
pdf-libraries:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
	      fonts-dejavu-core; \
	  else \
	    echo "note: Pango is missing (apt-get install libpango-1.0-0 libpangoft2-1.0-0" \
	         "fonts-dejavu-core as root): PDFs cannot be drawn"; \
	  fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dev,embeddings]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(VENDOR)/htmx.min.js: $(NODE_STAMP)
	mkdir -p $(@D)
	cp node_modules/htmx.org/dist/htmx.min.js $@

$(VENDOR)/axe.min.js: $(NODE_STAMP)
	mkdir -p $(@D)
	cp node_modules/axe-core/axe.min.js $@

# The QR reader of the living-lab check-in page, where the browser has no BarcodeDetector.
$(VENDOR)/jsQR.js: $(NODE_STAMP)
	mkdir -p $(@D)
	cp node_modules/jsqr/dist/jsQR.js $@

$(VENDOR)/leaflet/.copied: $(NODE_STAMP)
	rm -rf $(@D)
	mkdir -p $(@D)
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(@D)/
	cp -R node_modules/leaflet/dist/images $(@D)/images
	touch $@

# -f: a fuzzy entry must not stop the build (the catalog test reports it instead).
%.mo: %.po $(PY_STAMP)
	$(BIN)/pybabel compile -f -i $< -o $@

translations: $(MO_FILES)

# ------------------------------------------------------------------ running

# The huey consumer runs beside the web server and is stopped with it (Ctrl-C or any exit).
run: install
	$(FLASK) db upgrade
	$(FLASK) demo-data --if-empty
	@$(BIN)/huey_consumer engage.core.jobs.huey -w 1 & consumer=$$!; \
	trap 'kill $$consumer 2>/dev/null; wait $$consumer 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# ------------------------------------------------------------------ tests

# The browser tests drive Debian's Chromium; install it when it is missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	  else \
	    echo "note: /usr/bin/chromium is missing and cannot be installed here" \
	         "(apt-get install chromium chromium-driver as root); browser tests will say so"; \
	  fi; \
	fi

# The suite runs on every core (pytest-xdist): each worker has its own database and live
# server. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto

# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE): every
# worker would otherwise compile the application and rewrite every test module again, run
# after run. `worksteal` hands a finished worker tests from a busy one, so no worker idles at
# the end.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

test: install browser
	$(PYTEST)

# Tests marked `database_independent` (pure functions, catalogs; checked to run no statement)
# would run exactly as on SQLite: the PostgreSQL pass leaves them out. So do the browser tests,
# which check what a browser shows (layout at 360 px, htmx, JavaScript, axe) and a third of the
# pass's time, except those marked `postgres_too`, the flows whose server side differs by
# database (sign-up, the moderation desk, the citation picker's full-text search).
test-postgres: install browser
	ENGAGE_TEST_DATABASE_URL=$(POSTGRES_TEST_URL) $(PYTEST) \
	    -m "not database_independent and (not browser or postgres_too)"

lint: $(PY_STAMP)
	$(BIN)/ruff check engage tests bench

# ------------------------------------------------------------------ translations

messages: $(PY_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 --no-location \
	    -o translations/messages.pot .
	@for lang in $(LANGUAGES); do \
	  if [ -f translations/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update -i translations/messages.pot -d translations -l $$lang; \
	  else \
	    $(BIN)/pybabel init -i translations/messages.pot -d translations -l $$lang; \
	  fi; \
	done

# ------------------------------------------------------------------ benchmark

bench: install
	bash bench/hub.sh

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache *.egg-info
	find translations -name '*.mo' -delete
	find engage tests bench -name __pycache__ -type d -prune -exec rm -rf {} +

# The ideas benchmark of issue 3 (PostgreSQL and SQLite, about 5 minutes): bench/README.md.
bench-ideas: install
	bash bench/ideas/run.sh

# The consultations benchmark of issue 4 (PostgreSQL and SQLite, about 5 minutes): bench/README.md.
bench-consultations: install
	bash bench/consultations/run.sh

# The citizen-science map benchmark of issue 5 (PostgreSQL and SQLite, about 4 minutes): bench/README.md.
.PHONY: bench-science
bench-science: install
	bash bench/science/run.sh

# The living-lab benchmark of issue 6 (PostgreSQL and SQLite, about 2 minutes): bench/README.md.
.PHONY: bench-livinglabs
bench-livinglabs: install
	bash bench/livinglabs/run.sh

.PHONY: bench-synthesis
bench-synthesis: install
	bash bench/synthesis/run.sh

# The exports benchmark of issue 8 (SQLite and PostgreSQL, about 10 minutes): bench/README.md.
.PHONY: bench-exports
bench-exports: install
	bash bench/exports/run.sh
