#!/usr/bin/env bash
# 信访通: prepare the machine, seed the demo city, start web server + background worker.
#
#   bash scripts/run.sh                          http://127.0.0.1:8000/
#   bash scripts/run.sh --port 9000 --workers 4  其余参数交给 `xinfang run` / other arguments go to `xinfang run`
#
# Honours every XINFANG_* variable of .env.example (XINFANG_DATA_DIR chooses where the data lives).
# Set XINFANG_SKIP_DEMO=1 to start without seeding demo data.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/setup.sh"

XINFANG="$ROOT/.venv/bin/xinfang"
# The demo signs in with password only, so that it can be tried without an authenticator app;
# production keeps the default (password + TOTP). Set XINFANG_TOTP_REQUIRED=true to try the full flow.
export XINFANG_TOTP_REQUIRED="${XINFANG_TOTP_REQUIRED:-false}"
if [ "${XINFANG_SKIP_DEMO:-0}" != "1" ]; then
    if "$XINFANG" help demo >/dev/null 2>&1; then
        echo "==> 演示数据 / xinfang demo (seeds once; later runs reuse it)"
        "$XINFANG" demo
    else
        echo "==> 未找到 demo 命令，跳过演示数据 / no demo command yet: starting without demo data"
    fi
fi

echo "==> 启动 / xinfang run $*"
exec "$XINFANG" run "$@"
