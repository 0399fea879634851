# Two commands: `make run` serves the blog, `make test` runs the whole test suite, on SQLite and on PostgreSQL.
# Both set up what they need (virtualenv, packages, Debian's chromium for the browser tests, Debian's Java and
# the Nu HTML Checker for the markup tests, Debian's postgresql when no PostgreSQL server answers).

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# The PostgreSQL server `make test` uses when it answers; else tools/test-postgres.sh starts a private one.
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres install lint bench system-python chromium java
# The Nu HTML Checker, from the npm registry's vnu-jar package (checked against the registry's sha1).
VNU_VERSION := 26.9.27
VNU_SHA1 := 80a35dd6f8f7230132811a6ee8bd4257a119fb14
VNU_JAR := $(VENV)/share/vnu-$(VNU_VERSION).jar
TEST_TOOLS := $(VENV)/.installed-test chromium java $(VNU_JAR)

run: $(VENV)/.installed
	$(BIN)/flask --app blog db upgrade
	$(BIN)/flask --app blog serve --host $(HOST) --port $(PORT)

# Both runs, even when the first fails; fails if either did.
test: $(TEST_TOOLS)
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-postgres || status=1; \
	exit $$status

test-sqlite: $(TEST_TOOLS)
	VNU_JAR=$(VNU_JAR) BLOG_TEST_DATABASE_URL=sqlite $(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

test-postgres: $(TEST_TOOLS)
	VNU_JAR=$(VNU_JAR) TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' TEST_PYTHON=$(BIN)/python \
	  tools/test-postgres.sh $(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

install: $(VENV)/.installed

lint: $(VENV)/.installed-test
	$(BIN)/ruff check blog tests bench tools

# Debian ships Python without venv/pip; add them when missing.
system-python:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "Installing python3-venv (Debian)"; \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv python3-pip; }

$(BIN)/python: | system-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
chromium:
	@[ -x /usr/bin/chromium ] || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# The markup tests run the Nu HTML Checker on Java (any JRE 11 or later; Debian 12's default is 17).
java:
	@command -v java >/dev/null || { \
	  echo "Installing Debian's Java runtime for the Nu HTML Checker"; \
	  $(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless; }

$(VNU_JAR): | $(BIN)/python
	@echo "Fetching the Nu HTML Checker $(VNU_VERSION) (vnu-jar from the npm registry)"
	$(BIN)/python tools/fetch-vnu.py $(VNU_VERSION) $(VNU_SHA1) $@
