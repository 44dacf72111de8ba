# newsqa — install, run and test on a fresh machine. Everything the project needs is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint typecheck pytest clean

install: $(STAMP) $(CHROMIUM)

# Re-runs only when the dependency list changes, so a second `make install` is instant.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and exactly pinned: pip then takes the CPU wheel already on disk.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Debian's Chromium for the browser tests: Playwright drives it, nothing is downloaded.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
		chromium fonts-dejavu-core

run: install
	$(BIN)/newsqa ingest data/articles
	$(BIN)/newsqa serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check service vectorstore eval tests
	$(BIN)/ruff format --check service vectorstore eval tests

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) vectorstore/data test-output
