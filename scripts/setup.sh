#!/usr/bin/env bash
# 信访通 set-up for a Debian 12 machine. Idempotent: installs only what is missing.
#
#   bash scripts/setup.sh            运行所需 / what running needs: system packages (incl. CJK fonts for report
#                                    charts, LibreOffice + poppler for report PDFs, Tesseract OCR with its
#                                    Chinese model for scanned letters), .venv, node_modules, migrate
#   bash scripts/setup.sh --test     另加测试所需 / also what the tests need: postgresql, chromium,
#                                    libatomic1 (Playwright's driver), redis-server, nginx, Python test
#                                    and bench extras
#   bash scripts/setup.sh --no-migrate
#
# Run as root, or as a user with sudo (used only for apt-get).
# Environment: XINFANG_PYTHON (interpreter that creates .venv, default: first python3.1x/python3 that is ≥ 3.11),
# and every XINFANG_* variable of .env.example (XINFANG_DATA_DIR decides where `migrate` writes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

WANT_TEST=0
WANT_MIGRATE=1
for arg in "$@"; do
    case "$arg" in
        --test) WANT_TEST=1 ;;
        --no-migrate) WANT_MIGRATE=0 ;;
        -h | --help)
            sed -n '2,10p' "$0"
            exit 0
            ;;
        *)
            echo "setup.sh: unknown option $arg" >&2
            exit 2
            ;;
    esac
done

VENV="$ROOT/.venv"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/xinfang-setup.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT

say() { printf '==> %s\n' "$*"; }
die() {
    printf '!!! %s\n' "$*" >&2
    exit 1
}

# Run a command with its output in a log; show the log's tail only when it fails.
quiet() {
    local log="$LOG_DIR/step.log"
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "失败 / failed: $*"
    fi
}

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    SUDO=()
fi

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

APT_UPDATED=0
apt_install() {
    [ "$#" -gt 0 ] || return 0
    if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
        die "需要安装 / need to install: $* — run as root or install sudo"
    fi
    if [ "$APT_UPDATED" -eq 0 ]; then
        say "更新软件包索引 / apt-get update"
        quiet "${SUDO[@]}" apt-get update -q
        APT_UPDATED=1
    fi
    say "安装系统软件包 / installing system packages: $*"
    quiet "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

python_ok() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

find_python() {
    local candidate
    for candidate in "${XINFANG_PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

system_packages() {
    local missing=()
    if ! find_python >/dev/null; then
        # Debian 12's python3 is 3.11; venv and ensurepip come in python3-venv.
        is_installed python3 || missing+=(python3)
        is_installed python3-venv || missing+=(python3-venv)
    fi
    if ! command -v node >/dev/null 2>&1; then
        missing+=(nodejs)
    fi
    # 信访形势分析报告: charts need a CJK font; the PDF is laid out by LibreOffice (Writer without
    # the GUI) with free stand-ins for the 公文 fonts (宋/仿宋/黑 from Noto CJK, 楷 from AR PL UKai);
    # pdftoppm renders its pages.
    is_installed fonts-noto-cjk || missing+=(fonts-noto-cjk)
    is_installed fonts-arphic-ukai || missing+=(fonts-arphic-ukai)
    command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
    command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
    # 来信文字识别: the Tesseract OCR engine and its simplified Chinese model (run by the worker).
    command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
    is_installed tesseract-ocr-chi-sim || missing+=(tesseract-ocr-chi-sim)
    if [ "$WANT_TEST" -eq 1 ]; then
        compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
        [ -x /usr/bin/chromium ] || missing+=(chromium)
        # Playwright's bundled node driver links against libatomic (absent from a minimal Debian).
        is_installed libatomic1 || missing+=(libatomic1)
        # The suite runs again with the machine's clock set to other days (scripts/test.sh).
        command -v faketime >/dev/null 2>&1 || missing+=(faketime)
        # The cluster tests and benchmarks/bench_cluster.py start Redis and nginx themselves, on
        # loopback ports of their own (a service Debian starts on installing is not used).
        command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
        [ -x /usr/sbin/nginx ] || missing+=(nginx)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        apt_install "${missing[@]}"
    fi
    # Some nodejs builds bring npm with them, Debian's does not: ask for npm only once node is there.
    if ! command -v npm >/dev/null 2>&1; then
        apt_install npm
    elif [ "${#missing[@]}" -eq 0 ]; then
        say "系统软件包齐全 / system packages present"
    fi
}

python_env() {
    if [ -x "$VENV/bin/python" ] && ! python_ok "$VENV/bin/python"; then
        say "虚拟环境不可用，重新创建 / .venv is broken, recreating it"
        rm -rf "$VENV"
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        python="$(find_python)" || die "找不到 Python ≥ 3.11 / no Python ≥ 3.11 with venv found"
        say "创建虚拟环境 / creating .venv with $python"
        quiet "$python" -m venv "$VENV"
    fi
    local extras="" digest
    if [ "$WANT_TEST" -eq 1 ]; then
        extras="[test,bench]"
    fi
    # Reinstall only when pyproject.toml changed since the last install (the test extras include the rest).
    digest="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ -x "$VENV/bin/xinfang" ] && { grep -qx "$digest" "$VENV/.xinfang-installed-test" 2>/dev/null ||
        { [ -z "$extras" ] && grep -qx "$digest" "$VENV/.xinfang-installed" 2>/dev/null; }; }; then
        say "Python 依赖已是最新 / Python packages up to date"
        return
    fi
    say "安装 Python 依赖 / pip install -e '.${extras}'"
    quiet "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q -e ".${extras}"
    echo "$digest" >"$VENV/.xinfang-installed${extras:+-test}"
}

node_env() {
    local lock="$ROOT/package-lock.json" stamp="$ROOT/node_modules/.xinfang-installed" digest
    if [ -f "$lock" ]; then
        digest="$(sha256sum "$lock" | cut -d' ' -f1)"
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
            say "前端依赖已是最新 / node_modules up to date"
            return
        fi
        say "安装前端依赖 / npm ci (htmx, echarts, axe-core)"
        quiet npm ci --no-audit --no-fund --loglevel=error
    else
        digest="none"
        say "安装前端依赖 / npm install (no package-lock.json)"
        quiet npm install --no-audit --no-fund --loglevel=error
    fi
    echo "$digest" >"$stamp"
}

migrate() {
    say "数据库迁移 / xinfang migrate (data dir: ${XINFANG_DATA_DIR:-$ROOT/var})"
    quiet "$VENV/bin/xinfang" migrate --noinput
}

say "信访通环境准备 / setting up Xinfang in $ROOT"
system_packages
python_env
node_env
if [ "$WANT_MIGRATE" -eq 1 ]; then
    migrate
fi
say "准备完成 / set-up done"
