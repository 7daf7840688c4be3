"""`xinfang run`: the web server and the background worker as one command.

Collects static files (served by WhiteNoise), then starts two child processes:

* gunicorn serving ``xinfang.wsgi:application`` (threaded workers);
* the Huey consumer (``xinfang run_huey``), which runs queued and periodic jobs.

SIGINT and SIGTERM are passed on to both. When either child ends, the other is stopped
and the command exits: a half-running system (pages without jobs, or jobs without pages)
is never left behind.

With several servers (docs/deployment.md), ``--role web`` starts only gunicorn (an app server) and
``--role worker`` only the consumer (a worker machine). Stopping is graceful either way: gunicorn
finishes the requests in flight (SIGTERM, up to 30 s) and Huey the jobs that are running (SIGINT).
The web server's processes keep their metrics in PROMETHEUS_MULTIPROC_DIR (default
<data dir>/metrics-<port>, emptied at start), which /metrics adds up.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

STOP_TIMEOUT_SECONDS = 40  # gunicorn's own graceful timeout is 30 s
# gunicorn finishes its requests on SIGTERM; Huey finishes its running tasks on SIGINT.
GRACEFUL_SIGNAL = {"web": signal.SIGTERM, "worker": signal.SIGINT}
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child, before exec: ask Linux to send SIGTERM if `xinfang run` itself is killed."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's signal handlers are the only guard


def web_command(bind: str, workers: int, threads: int) -> list[str]:
    """The gunicorn command line of the web server."""
    access_log = [] if settings.XINFANG_LOG_FORMAT == "json" else ["--access-logfile", "-"]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "xinfang.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "30",
        # Idle keep-alive connections stay open longer than nginx keeps its own to the app server
        # (deploy/nginx: keepalive_timeout 4s), so nginx never sends on a connection being closed.
        "--keep-alive",
        "6",
        *access_log,
        "--config",
        "python:xinfang.core.gunicorn_conf",
        # Paths without query strings in both of gunicorn's logs (xinfang.core.logs).
        "--logger-class",
        "xinfang.core.logs.WebLogger",
        # No control socket in $HOME: two instances on one machine must not collide.
        "--no-control-socket",
    ]


class Command(BaseCommand):
    help = "启动 Web 服务（gunicorn）和后台任务（Huey）/ Start the web server and the background worker."
    requires_system_checks = []  # gunicorn's workers run the checks that matter when they load the app

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="listen port (default 8000)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="skip collectstatic (files already collected)"
        )
        parser.add_argument(
            "--role",
            choices=["all", "web", "worker"],
            default="all",
            help="all (default): web server and worker; web: an app server; worker: a worker machine",
        )

    def handle(self, *args, host, port, workers, threads, no_collectstatic, role="all", **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535")
        bare_host = host.strip("[]")
        bind_host = f"[{bare_host}]" if ":" in bare_host else bare_host

        self._warn_unapplied_migrations()
        if not no_collectstatic and role != "worker":
            self.stdout.write("收集静态文件 / collecting static files …")
            call_command("collectstatic", interactive=False, verbosity=0)

        commands = {
            "web": web_command(f"{bind_host}:{port}", workers, threads),
            "worker": [sys.executable, "-m", "xinfang", "run_huey"],
        }
        if role != "all":
            commands = {role: commands[role]}
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        env.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")
        if "web" in commands:
            env["PROMETHEUS_MULTIPROC_DIR"] = self._metrics_dir(port)

        children: dict[str, subprocess.Popen] = {}
        stopping = {"signal": None}

        def forward(signum, frame):
            if stopping["signal"] is None:
                self.stdout.write(f"收到信号 {signal.Signals(signum).name}，正在停止 / stopping …")
            stopping["signal"] = signum
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for name, argv in commands.items():
                if stopping["signal"] is not None:
                    break  # asked to stop while starting: start nothing more
                # Own process group: a terminal's Ctrl-C reaches only this process, which
                # forwards it once, instead of every child getting it twice.
                children[name] = subprocess.Popen(argv, env=env, process_group=0, preexec_fn=_die_with_parent)
            if "web" in children:
                self._announce(bare_host, bind_host, port, children["web"])
            first_name, code = self._wait_for_first_exit(children)
            if stopping["signal"] is None and len(children) > 1:
                self.stderr.write(
                    f"{'Web 服务' if first_name == 'web' else '后台任务'}（{first_name}）已退出，"
                    f"退出码 {code}；正在停止其余进程 / {first_name} exited with {code}, stopping the rest"
                )
            # Already signalled when stopping on request; otherwise each child's graceful signal.
            self._stop_all(children, send=stopping["signal"] is None)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.kill()
                    child.wait()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        if stopping["signal"] is not None:
            self.stdout.write("已停止 / stopped.")
            return
        # A child killed by signal N reports -N; exit as a shell would (128 + N).
        raise CommandError(
            f"{first_name} exited with code {code}", returncode=128 - code if code < 0 else code or 1
        )

    @staticmethod
    def _metrics_dir(port) -> str:
        """An empty folder for this web server's metrics: files of an earlier run would be added up."""
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.DATA_DIR / f"metrics-{port}")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)
        return folder

    def _warn_unapplied_migrations(self):
        try:
            connection = connections[DEFAULT_DB_ALIAS]
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:  # noqa: BLE001 - a database we cannot reach is reported, not fatal here
            self.stderr.write(f"无法检查数据库迁移 / could not check migrations: {exc}")
            return
        if plan:
            self.stderr.write(
                self.style.WARNING(
                    f"有 {len(plan)} 个数据库迁移未应用，请先运行 `xinfang migrate` / "
                    f"{len(plan)} unapplied migrations: run `xinfang migrate` first"
                )
            )

    def _announce(self, bare_host, bind_host, port, web, timeout=20.0):
        """Print the address once gunicorn accepts connections (or say that it did not)."""
        probe = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(bare_host, bare_host)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and web.poll() is None:
            try:
                with socket.create_connection((probe, port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            if web.poll() is None:
                self.stderr.write(
                    f"Web 服务 {timeout:.0f} 秒内未开始监听 / not listening yet after {timeout:.0f} s"
                )
            return
        shown = "127.0.0.1" if bare_host in {"0.0.0.0", ""} else ("[::1]" if bare_host == "::" else bind_host)
        self.stdout.write(
            self.style.SUCCESS(
                f"信访通已启动 / Xinfang is running: http://{shown}:{port}/   "
                f"(数据目录 / data dir: {settings.DATA_DIR}; Ctrl-C 停止 / to stop)"
            )
        )

    @staticmethod
    def _wait_for_first_exit(children):
        if not children:
            return None, 0
        while True:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    return name, code
            time.sleep(0.2)

    def _stop_all(self, children, send):
        if send:
            for name, child in children.items():
                if child.poll() is None:
                    child.send_signal(GRACEFUL_SIGNAL[name])
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} 未按时退出，强制结束 / did not stop in time, killing")
                child.kill()
                child.wait()
