"""Services the cluster tests start themselves, each on a free loopback port in a temporary
directory, and stop at the end: Redis (redis-server), an S3-compatible store (the moto server) and a
PostgreSQL primary with a streaming replica. A test that needs one is skipped when it is not
installed (scripts/setup.sh --test installs them)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import inherited_path

# The newest PostgreSQL installed, as scripts/test.sh picks it.
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), default=Path("/nonexistent")
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, proc, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} not listening after {timeout:.0f} s")


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def without_faketime(env) -> dict:
    """``env`` without libfaketime: redis-server cannot start under it (jemalloc asks the clock while
    libfaketime is still starting, and libfaketime gives up: "Unexpected recursive calls to
    clock_gettime()"). Redis then keeps the real time, which nothing reads: the product decides by
    its own clock, and gives Redis durations (a count's expiry), never moments."""
    return {k: v for k, v in env.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}


def redis_server():
    """A generator fixture body: yields the URL of a fresh redis-server."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (scripts/setup.sh --test)")
    folder = tempfile.mkdtemp(prefix="xf-test-redis-")
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        env=without_faketime(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def s3_server():
    """A generator fixture body: yields the endpoint URL of a fresh moto S3 server with a bucket
    named "xinfang"."""
    pytest.importorskip("moto", reason="moto is not installed (pip install -e .[test])")
    boto3 = pytest.importorskip("boto3")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc, "moto server")
        endpoint = f"http://127.0.0.1:{port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ).create_bucket(Bucket="xinfang")
        yield endpoint
    finally:
        _stop(proc)


def s3_options(endpoint, location):
    return {
        "bucket_name": "xinfang",
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
        "file_overwrite": True,
        "default_acl": None,
        "location": location,
    }


def _as_postgres(cmd):
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _pg(cmd, **kw):
    done = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]}: {done.stdout}{done.stderr}")
    return done.stdout


def postgres_pair():
    """A generator fixture body: a PostgreSQL primary and a streaming replica of it; yields
    (primary URL, replica URL) for the role "xinfang" (password "xinfang", database "xinfang")."""
    if not (PG_BIN / "pg_basebackup").exists():
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh --test)")
    root = Path(tempfile.mkdtemp(prefix="xf-test-pg-"))
    root.chmod(0o755)
    dirs = {name: root / name for name in ("primary", "replica")}
    ports = {name: free_port() for name in dirs}
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    pwfile = root / "pw"
    pwfile.write_text("xinfang\n")
    pwfile.chmod(0o644)
    started = []
    try:
        _pg([str(PG_BIN / "initdb"), "-D", str(dirs["primary"]), "-U", "postgres", "--no-sync",
             "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
             "--locale=C.UTF-8"])  # fmt: skip

        def start(name):
            options = (
                f"-c listen_addresses=127.0.0.1 -p {ports[name]} -k {root} -c fsync=off -c wal_level=replica"
            )
            _pg([str(PG_BIN / "pg_ctl"), "-D", str(dirs[name]), "-w", "-l", str(root / f"{name}.log"), "-o",
                 options, "start"])  # fmt: skip
            started.append(name)

        start("primary")
        _pg([str(PG_BIN / "psql"), "-h", str(root), "-p", str(ports["primary"]), "-U", "postgres", "-q",
             "-c", "CREATE ROLE xinfang LOGIN SUPERUSER PASSWORD 'xinfang'",
             "-c", "CREATE DATABASE xinfang OWNER xinfang"])  # fmt: skip
        conninfo = f"host=127.0.0.1 port={ports['primary']} user=postgres password=xinfang"
        _pg([str(PG_BIN / "pg_basebackup"), "-d", conninfo, "-D", str(dirs["replica"]), "-R", "-X", "stream",
             "--no-sync"])  # fmt: skip
        start("replica")
        yield tuple(
            f"postgres://xinfang:xinfang@127.0.0.1:{ports[n]}/xinfang" for n in ("primary", "replica")
        )
    finally:
        for name in reversed(started):
            subprocess.run(
                _as_postgres(
                    [str(PG_BIN / "pg_ctl"), "-D", str(dirs[name]), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


def django_script(code: str, env: dict, timeout=120) -> str:
    """Run ``code`` in a fresh interpreter with the project's settings and ``env``; its output."""
    full = dict(
        {k: v for k, v in os.environ.items() if not k.startswith("XINFANG_")},
        XINFANG_ENV_FILE="/dev/null",
        DJANGO_SETTINGS_MODULE="xinfang.settings",
        PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent.parent), *inherited_path()]),
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"script failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout
