"""gunicorn's configuration hooks for `xinfang run` (``--config python:xinfang.core.gunicorn_conf``).

Each worker process writes its metrics to files in PROMETHEUS_MULTIPROC_DIR; when a worker ends, its
live gauges are dropped, so /metrics adds up only the processes that still serve.
"""

import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
