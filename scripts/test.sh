#!/usr/bin/env bash
# 信访通 test suite: set-up, lint, migrations check, pytest on SQLite (also with the machine's clock
# on two other days), pytest on PostgreSQL.
#
#   bash scripts/test.sh                     全部阶段 / every stage
#   bash scripts/test.sh --sqlite-only       只在 SQLite 上按今天运行 / SQLite, today only (quick local runs)
#   bash scripts/test.sh -k deadline -x      其余参数交给 pytest / other arguments go to pytest
#   bash scripts/test.sh -- --sqlite-only    "--" passes everything after it to pytest unchanged
#
# The PostgreSQL run starts a throwaway cluster (initdb into a temporary directory, a free loopback
# port, owned by the `postgres` OS user when run as root) and removes it on exit, whatever happens.
# Browser tests (mark `browser`) run in both runs, with Debian's /usr/bin/chromium.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SQLITE_ONLY=0
PYTEST_ARGS=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --sqlite-only) SQLITE_ONLY=1 ;;
        -h | --help)
            sed -n '2,11p' "$0"
            exit 0
            ;;
        --)
            shift
            PYTEST_ARGS+=("$@")
            break
            ;;
        *) PYTEST_ARGS+=("$1") ;;
    esac
    shift
done

VENV="$ROOT/.venv"
PY="$VENV/bin/python"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/xinfang-test.XXXXXX")"
PG_DIR=""
PG_CTL=""

as_postgres() {
    # PostgreSQL refuses to run as root: hand its commands to the `postgres` OS user.
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

cleanup() {
    if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
        as_postgres "$PG_CTL" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [ -n "$PG_DIR" ] && rm -rf "$PG_DIR"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "!!! 已中断 / interrupted" >&2; exit 130' INT TERM

# Tests must not pick up a developer's .env or database settings.
export XINFANG_ENV_FILE=/dev/null
export DJANGO_SETTINGS_MODULE=xinfang.settings
unset XINFANG_DATABASE_URL XINFANG_HUEY_DB XINFANG_DATA_DIR
export PYTHONDONTWRITEBYTECODE=1
# The live server's threads must not keep PostgreSQL connections open past a test.
export XINFANG_DB_CONN_MAX_AGE=0

STAGE_NAMES=()
STAGE_RESULTS=()
STAGE_SECONDS=()
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0

now() { date +%s.%N; }

record() { # name rc start
    local name="$1" rc="$2" start="$3" seconds
    seconds="$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')"
    STAGE_NAMES+=("$name")
    STAGE_SECONDS+=("$seconds")
    if [ "$rc" -eq 0 ]; then
        STAGE_RESULTS+=("ok")
    else
        STAGE_RESULTS+=("FAILED (exit $rc)")
    fi
}

stage() { # name command...
    local name="$1" start rc
    shift
    printf '\n==> %s\n' "$name"
    start="$(now)"
    "$@"
    rc=$?
    record "$name" "$rc" "$start"
    [ "$rc" -eq 0 ] || printf '!!! %s 失败 / failed (exit %s)\n' "$name" "$rc" >&2
    return "$rc"
}

summary() {
    local i failed=0
    printf '\n==> 汇总 / Summary\n'
    for i in "${!STAGE_NAMES[@]}"; do
        printf '  %-28s %-18s %7ss\n' "${STAGE_NAMES[$i]}" "${STAGE_RESULTS[$i]}" "${STAGE_SECONDS[$i]}"
        [ "${STAGE_RESULTS[$i]}" = "ok" ] || failed=$((failed + 1))
    done
    if [ "$failed" -eq 0 ]; then
        printf '全部阶段通过 / all %d stages passed\n' "${#STAGE_NAMES[@]}"
    else
        printf '%d 个阶段失败 / %d stage(s) failed\n' "$failed" "$failed"
    fi
    printf '用时 / total time: %ss\n' "$(awk -v a="$START_ALL" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')"
    printf 'tests: %d passed, %d failed, %d skipped\n' "$TOTAL_PASSED" "$TOTAL_FAILED" "$TOTAL_SKIPPED"
    return "$failed"
}

# Add one run's counts from its JUnit XML to the totals (nothing if the file is missing).
count_results() {
    local counts
    counts="$("$PY" - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - failed - skipped, failed, skipped)
EOF
)"
    [ -n "$counts" ] || return 0
    read -r p f s <<<"$counts"
    TOTAL_PASSED=$((TOTAL_PASSED + p))
    TOTAL_FAILED=$((TOTAL_FAILED + f))
    TOTAL_SKIPPED=$((TOTAL_SKIPPED + s))
}

run_pytest() { # label [pytest arguments before the caller's]
    local label="$1" junit="$WORK/junit-$1.xml" rc
    shift
    # -c/--rootdir keep the project's pytest settings even when only paths outside tests/ are given.
    "$PY" -m pytest -c "$ROOT/pyproject.toml" --rootdir "$ROOT" --junitxml="$junit" -o junit_family=xunit2 -n 2 \
        "$@" "${PYTEST_ARGS[@]}"
    rc=$?
    count_results "$junit"
    if [ "$rc" -eq 5 ]; then
        echo "!!! pytest 没有收集到任何测试 / pytest collected no tests: that counts as a failure" >&2
    fi
    return "$rc"
}

pytest_sqlite() {
    mkdir -p "$WORK/sqlite"
    XINFANG_DATA_DIR="$WORK/sqlite" run_pytest sqlite
}

start_postgres() {
    local bin port
    bin="$(find /usr/lib/postgresql/*/bin -maxdepth 0 -type d 2>/dev/null | sort -V | tail -n 1)"
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        echo "!!! 找不到 PostgreSQL（/usr/lib/postgresql/*/bin）/ PostgreSQL not found: run scripts/setup.sh --test" >&2
        return 1
    fi
    PG_CTL="$bin/pg_ctl"
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/xinfang-pg.XXXXXX")"
    chmod 700 "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DIR"
    port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    echo "    PostgreSQL $("$bin/postgres" --version | awk '{print $3}') · 127.0.0.1:$port · $PG_DIR"
    echo "xinfang-test" >"$PG_DIR/pwfile"
    chmod 644 "$PG_DIR/pwfile"
    as_postgres "$bin/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 --no-sync \
        --auth-local=trust --auth-host=scram-sha-256 --pwfile="$PG_DIR/pwfile" >"$PG_DIR/initdb.log" 2>&1 ||
        {
            cat "$PG_DIR/initdb.log" >&2
            return 1
        }
    as_postgres "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || {
        cat "$PG_DIR/server.log" >&2
        return 1
    }
    as_postgres "$bin/psql" -h "$PG_DIR" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
        -c "CREATE ROLE xinfang LOGIN CREATEDB PASSWORD 'xinfang-test'" \
        -c "CREATE DATABASE xinfang OWNER xinfang" || return 1
    export XINFANG_DATABASE_URL="postgres://xinfang:xinfang-test@127.0.0.1:$port/xinfang"
}

# Tests must pass whatever day the machine thinks it is: the product and the tests read one clock
# (xinfang.core.clock), which the tests set. These runs move the machine's own clock (libfaketime)
# to a year ahead — a year whose holiday schedule may not be published — and to a working Saturday
# of the 国庆 holiday (调休), so that anything still reading the machine's date shows up.
OTHER_DAYS=("2027-12-07 09:30:00" "2026-10-10 09:30:00")
# The tests that decide by date; the first day runs every test but the browser ones and those that
# start their own Redis, S3 server, PostgreSQL or servers (mark `cluster`: they pass on a moved
# clock too, but take minutes, and run once, in the first SQLite run).
DATED_TESTS=(tests/test_workflow.py tests/test_sweeper.py tests/test_deadline_engine.py
    tests/test_calendar_command.py tests/test_supervision.py tests/test_scoring.py tests/test_portal.py
    tests/test_analytics.py tests/test_warnings.py tests/test_demo.py tests/test_accusations.py)

pytest_other_day() { # index into OTHER_DAYS
    local day="${OTHER_DAYS[$1]}" dir="$WORK/day$1" tests=() offset
    mkdir -p "$dir"
    [ "$1" -eq 0 ] || tests=("${DATED_TESTS[@]}")
    # An offset from the real time, not a start time: the servers and workers the tests start later
    # then read the same clock as the tests.
    offset=$(($(date -d "$day" +%s) - $(date +%s)))
    [ "$offset" -ge 0 ] && offset="+$offset"
    echo "    本机时钟 / machine clock: $day (faketime $offset s)"
    # Only the wall clock moves: with a faked monotonic clock, waits with a deadline (the job
    # queue's worker threads) would wait for the length of the offset.
    # libfaketime then breaks time.sleep; scripts/faketime/sitecustomize.py makes it wait with select.
    XINFANG_DATA_DIR="$dir" FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH="$ROOT/scripts/faketime${PYTHONPATH:+:$PYTHONPATH}" faketime -f "$offset" "$PY" -m pytest -c "$ROOT/pyproject.toml" --rootdir "$ROOT" \
        --junitxml="$WORK/junit-day$1.xml" -o junit_family=xunit2 -n 2 -q -m "not browser and not cluster" "${tests[@]}" \
        "${PYTEST_ARGS[@]}"
    local rc=$?
    count_results "$WORK/junit-day$1.xml"
    return "$rc"
}

pytest_postgres() {
    mkdir -p "$WORK/postgres"
    # The `cluster` tests start their own databases and services: they ran in the SQLite run.
    XINFANG_DATA_DIR="$WORK/postgres" run_pytest postgres -m "not cluster"
}

START_ALL="$(now)"
SETUP_ARGS=(--test --no-migrate)
if ! stage "setup" bash "$ROOT/scripts/setup.sh" "${SETUP_ARGS[@]}"; then
    summary
    exit 1
fi

stage "ruff check" "$VENV/bin/ruff" check .
stage "ruff format --check" "$VENV/bin/ruff" format --check .
mkdir -p "$WORK/migrations"
XINFANG_DATA_DIR="$WORK/migrations" stage "makemigrations --check" \
    "$VENV/bin/xinfang" makemigrations --check --dry-run
stage "pytest (SQLite)" pytest_sqlite
if [ "$SQLITE_ONLY" -eq 0 ]; then
    stage "pytest (SQLite, ${OTHER_DAYS[0]%% *})" pytest_other_day 0
    stage "pytest (SQLite, ${OTHER_DAYS[1]%% *})" pytest_other_day 1
fi
if [ "$SQLITE_ONLY" -eq 0 ]; then
    if stage "start PostgreSQL" start_postgres; then
        stage "pytest (PostgreSQL)" pytest_postgres
    fi
fi

summary
exit $?
