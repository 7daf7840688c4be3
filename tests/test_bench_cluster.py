"""The cluster benchmark, at CI size (benchmarks/bench_cluster.py --smoke): PostgreSQL primary and
replica, Redis, an S3 server, two app servers, a worker and nginx on loopback; an app server and the
worker killed under load. Skipped when the Debian packages or the bench extra are missing
(scripts/setup.sh --test installs them). Marked `cluster`: scripts/test.sh runs it once, in its first
SQLite run — it starts its own databases, and passes on the other days' moved clock as well, but
takes a few minutes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.mark.cluster
def test_the_cluster_loses_nothing_when_an_app_server_and_the_worker_are_killed(tmp_path):
    import bench_cluster

    missing = bench_cluster.missing_tools()
    if missing:
        pytest.skip(f"missing: {', '.join(missing)} (scripts/setup.sh --test)")
    result = tmp_path / "result.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_cluster.py"), "--smoke", "--result", str(result)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(result.read_text(encoding="utf-8"))
    checks = found["checks"]
    assert checks["writes"] > 0 and checks["writes_found"] == checks["writes"], checks["missing"]
    assert checks["drained"] and checks["notices"].get("pending", 0) == 0
    assert checks["journal"] == checks["journal_distinct"]  # no notice sent twice
    assert checks["journal_not_sent"] == 0 and checks["sent_not_journal"] == 0
    assert checks["sweep"]["duplicates"] == 0 and checks["sweep"]["runs"] > 0
    assert checks["audit_ok"], checks["audit_output"]
    # A POST that had reached the killed server when it died is lost with it (nginx never sends a
    # write twice); everything else is answered by the other server. At CI size a few hundred
    # requests fall in the window, so the bench's < 0.1 % is judged on its full run, not here.
    kill = found["kill_window"]
    assert kill["requests"] > 0 and kill["errors"] <= 2, kill
