# Two commands: `make run` serves the blog, `make test` runs the whole test suite, on SQLite and on PostgreSQL.
# Both set up what they need (virtualenv, packages, Debian's chromium for the browser tests, Debian's
# postgresql when no PostgreSQL server answers).

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 5000
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PYTEST_ARGS ?=
# The PostgreSQL server `make test` uses when it answers; else tools/test-postgres.sh starts a private one.
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres install lint bench system-python chromium

run: $(VENV)/.installed
	$(BIN)/flask --app blog db upgrade
	$(BIN)/flask --app blog serve --host $(HOST) --port $(PORT)

# Both runs, even when the first fails; fails if either did.
test: $(VENV)/.installed-test chromium
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=1; \
	$(MAKE) --no-print-directory test-postgres || status=1; \
	exit $$status

test-sqlite: $(VENV)/.installed-test chromium
	BLOG_TEST_DATABASE_URL=sqlite $(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test chromium
	TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' TEST_PYTHON=$(BIN)/python \
	  tools/test-postgres.sh $(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

install: $(VENV)/.installed

lint: $(VENV)/.installed-test
	$(BIN)/ruff check blog tests bench

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
