# 信访通 developer shortcuts. Everything here is also a plain command; see README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
# Each benchmark gets its own arguments: BENCH_<NAME>_ARGS for benchmarks/bench_<name>.py, e.g.
#   make bench BENCH_DEADLINES_ARGS="--n 100000" BENCH_IMPORT_ARGS="--smoke" BENCH_LOAD_ARGS="--smoke"
# and the case-intelligence ones: BENCH_CLASSIFY_ARGS, BENCH_PLACES_ARGS, BENCH_SIMILAR_ARGS, BENCH_URGENCY_ARGS,
# unit scoring: BENCH_SCORING_ARGS (e.g. "--smoke"); the dashboard: BENCH_DASHBOARD_ARGS ("--smoke";
# the default measures 1,000,000 and 10,000,000 matters); early warning: BENCH_WARNINGS_ARGS ("--smoke");
# the import's memory on hostile files: BENCH_IMPORT_MEMORY_ARGS ("--smoke"); the hazard ledger's
# statistics: BENCH_HAZARDS_ARGS ("--smoke"; the default measures 1,000,000 hazards); search by
# words: BENCH_SEARCH_ARGS ("--smoke", or "--matters 100000 --db sqlite").
BENCH_CLASSIFY_ARGS ?=
BENCH_DASHBOARD_ARGS ?=
BENCH_DEADLINES_ARGS ?=
BENCH_HAZARDS_ARGS ?=
BENCH_IMPORT_ARGS ?=
BENCH_IMPORT_MEMORY_ARGS ?=
BENCH_LOAD_ARGS ?=
BENCH_PLACES_ARGS ?=
BENCH_SCORING_ARGS ?=
BENCH_SEARCH_ARGS ?=
BENCH_SIMILAR_ARGS ?=
BENCH_URGENCY_ARGS ?=
BENCH_WARNINGS_ARGS ?=
# The security probe (benchmarks/probe_security.py), e.g. PROBE_ARGS="--users 8 --keep".
PROBE_ARGS ?=
BENCH_SCRIPTS := $(sort $(wildcard benchmarks/bench_*.py))
bench_args = $(BENCH_$(shell echo '$(patsubst bench_%,%,$(basename $(notdir $(1))))' | tr a-z A-Z)_ARGS)

.PHONY: run test test-fast lint format bench probe migrations-check

run: ## set up, seed demo data, start web + worker
	bash scripts/run.sh

test: ## the whole suite: lint, migrations, pytest on SQLite and PostgreSQL
	bash scripts/test.sh

test-fast: ## the suite on SQLite only
	bash scripts/test.sh --sqlite-only

lint:
	$(RUFF) check .
	$(RUFF) format --check .

format:
	$(RUFF) check --fix .
	$(RUFF) format .

bench: ## every benchmarks/bench_*.py, each with its own BENCH_<NAME>_ARGS="..." (see above)
	@if [ -n "$(BENCH_ARGS)" ]; then \
		echo "BENCH_ARGS 已不再使用，请按脚本分别传参 / BENCH_ARGS is gone: use BENCH_DEADLINES_ARGS, BENCH_IMPORT_ARGS, BENCH_LOAD_ARGS" >&2; \
		exit 2; fi
	@$(VENV)/bin/pip install -q -e ".[bench]"  # locust for bench_load.py
	@set -e; $(if $(BENCH_SCRIPTS),,echo "benchmarks/ 中还没有 bench_*.py / no benchmarks yet";) \
	$(foreach f,$(BENCH_SCRIPTS),echo "==> $(f) $(call bench_args,$(f))"; $(PY) "$(f)" $(call bench_args,$(f));)

probe: ## the security review's probes against a fresh `xinfang run`; exit 1 on any leak or failure
	$(PY) benchmarks/probe_security.py $(PROBE_ARGS)

migrations-check:
	@d=$$(mktemp -d); XINFANG_DATA_DIR=$$d $(VENV)/bin/xinfang makemigrations --check --dry-run; rc=$$?; rm -rf $$d; exit $$rc
