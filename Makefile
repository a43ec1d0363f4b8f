# Recognise: `make run` serves the portal with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: install install-test install-verify verify run test lint typecheck pytest migrate demo bench bench-search bench-tips clean translations translations-extract translations-update translations-compile page-weight

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## install: create .venv and install the portal (idempotent)
install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.installed-verify: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,verify]'
	touch $@

install-verify: $(VENV)/.installed-verify

## migrate: create or upgrade the database schema
migrate: install
	$(FLASK) db upgrade

## demo: load the demo dataset, and demo tips when there are none yet (idempotent)
demo: migrate
	$(FLASK) demo load
	$(FLASK) demo tips --if-empty

## run: upgrade the schema, load demo data and staff on first run, serve with gunicorn on http://$(HOST):$(PORT)
run: migrate
	$(FLASK) demo load --if-empty
	$(FLASK) demo tips --if-empty
	$(FLASK) demo staff --if-missing
	$(FLASK) search sync
	$(BIN)/gunicorn --workers $(WORKERS) --bind $(HOST):$(PORT) --access-logfile - --access-logformat '%(t)s "%(r)s" %(s)s %(b)s %(M)sms' app:app

## test: lint, type-check and run the suite on SQLite (and on PostgreSQL when PORTAL_TEST_DATABASE_URL is set)
test: install-test lint typecheck pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

pytest: install-test
	PORTAL_TEST_DATABASE_URL= $(BIN)/pytest
	@if [ -n "$$PORTAL_TEST_DATABASE_URL" ]; then \
		echo "== the suite again on PostgreSQL"; \
		$(BIN)/pytest; \
	fi

## bench: import synthetic records and time the public pages (prints figures)
bench: install-test
	$(BIN)/python scripts/benchmark.py --count $${COUNT:-20000}

## bench-search: search speed beside an SQLite FTS5 reference (COUNT=100000 for the large run)
bench-search: install-test
	$(BIN)/python scripts/bench_search.py --count $${COUNT:-10000}

## bench-tips: concurrent tipsters against gunicorn, every receipt checked in the database (TIPSTERS=50 DURATION=30)
bench-tips: install-test
	$(BIN)/python scripts/bench_tips.py --tipsters $${TIPSTERS:-50} --seconds $${DURATION:-30}

## translations: extract marked strings into messages.pot, merge them into each language's
## messages.po (new ones empty, for a translator), and compile the .mo files the portal reads
translations: translations-extract translations-update translations-compile

LOCALES := portal/translations
BABEL_KEYWORDS := -k _l -k lazy_gettext

translations-extract: install
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs=".*" --no-location --sort-output \
		--project=Recognise --copyright-holder="Recognise contributors" \
		-o $(LOCALES)/messages.pot .

translations-update: install
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-fuzzy-matching --ignore-obsolete

translations-compile: install
	$(BIN)/pybabel compile -d $(LOCALES) --statistics
## verify: load surge, fault drills, attack suite, fuzzing and the backup drill, then a summary
## table of what was tried and what failed (QUICK=1: the fast parts CI runs; PARTS=attack,fuzz:
## some; README=1: write the table into README.md; COLLECT=1: run nothing, tabulate the latest)
verify: install-verify
	$(BIN)/python scripts/verify.py $(if $(QUICK),--quick) $(if $(PARTS),--parts $(PARTS)) $(if $(README),--readme) $(if $(COLLECT),--collect)

## page-weight: bytes of HTML, CSS and JS (raw and gzipped) of each public page over demo data
page-weight: install-test
	$(BIN)/python scripts/page_weight.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache *.egg-info
