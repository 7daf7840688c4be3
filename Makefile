# 信访通 developer shortcuts. Everything here is also a plain command; see README.md.
VENV ?= .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
BENCH_ARGS ?=

.PHONY: run test test-fast lint format bench migrations-check

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

bench: ## every benchmarks/bench_*.py; make bench BENCH_ARGS="..."
	@set -e; found=0; for f in benchmarks/bench_*.py; do \
		[ -e "$$f" ] || continue; found=1; \
		echo "==> $$f"; $(PY) "$$f" $(BENCH_ARGS); \
	done; [ "$$found" = 1 ] || echo "benchmarks/ 中还没有 bench_*.py / no benchmarks yet"

migrations-check:
	@d=$$(mktemp -d); XINFANG_DATA_DIR=$$d $(VENV)/bin/xinfang makemigrations --check --dry-run; rc=$$?; rm -rf $$d; exit $$rc
