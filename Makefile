# Quick start: `make demo` (set up, migrate, seed, serve with the test IdP) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DEV_ENV := DEBUG=1 TEST_IDP=1

.PHONY: demo test test-browser test-fast install check-python serve messages messages-extract bench bench-import clean

check-python:
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 12) else "Python 3.12 or newer is needed (found %d.%d). Set PYTHON=python3.13." % v[:2])'

$(VENV)/.installed: pyproject.toml | check-python
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# lxml and xmlsec must come as wheels built against the same libxml2.
	$(PY) -m pip install -q --only-binary=lxml,xmlsec -e '.[test]'
	$(PY) -c 'import lxml.etree, xmlsec, onelogin.saml2.auth'
	touch $@

install: $(VENV)/.installed

messages: install
	mkdir -p var
	$(DEV_ENV) $(PY) manage.py compilemessages_py

# After changing translatable strings: collect them into locale/*/LC_MESSAGES/django.po (needs GNU
# gettext), then translate the new entries into nb and nn. tests/test_i18n.py uses the same options.
messages-extract: install
	$(DEV_ENV) $(PY) manage.py makemessages --no-obsolete --add-location=file \
	  --ignore=bench --ignore=bench-results --ignore=node_modules --ignore=staticfiles --ignore=tests --ignore=var \
	  -lnb -lnn -len

demo: install messages
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo "My Prescriptions runs on http://127.0.0.1:$(PORT)/ (test IdP on; Ctrl+C stops it)"
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install messages
	$(DEV_ENV) $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# Real-browser tests (tests/browser): Playwright drives Debian's Chromium (apt-get install chromium;
# never `playwright install`) against a live server; every test marked `browser`, wherever it lives.
# Pick files with BROWSER_TESTS=tests/browser/test_print.py.
BROWSER_TESTS ?=
test-browser: install messages
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || { echo "Chromium is needed at /usr/bin/chromium (apt-get install chromium) or \$$CHROMIUM"; exit 1; }
	$(DEV_ENV) $(PY) -m pytest -m browser $(BROWSER_TESTS) $(PYTEST_ARGS)

# FHIR import throughput: 100 k resources of NDJSON into a fresh PostgreSQL database (test_<name>,
# dropped afterwards); prints resources/s. BENCH_IMPORT_DB names the server and database.
BENCH_IMPORT_DB ?= postgres://postgres@127.0.0.1:5432/mp_bench_import
bench-import: install
	DATABASE_URL=$(BENCH_IMPORT_DB) $(PY) -m bench.bench_import $(BENCH_ARGS)

# The benchmark (README, "Benchmark"): builds mp_bench_10k and mp_bench_1m on PostgreSQL (reused when
# already built; BENCH_ARGS=--rebuild builds again), serves each with gunicorn in production settings,
# drives load from a separate process, prints the table and writes bench-results/*.json.
bench: install messages
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
