"""Reads that may go to a PostgreSQL streaming replica (settings XINFANG_REPLICA_URL), and
read-your-writes.

Without a replica every query goes to "default", as on one machine. With one:

* writes, and every read inside a transaction of the primary (a read that a write depends on:
  select_for_update, the audit chain's head, an act's checks) go to the primary;
* sessions, sign-in lockouts and second factors are always read from the primary;
* other reads go to the replica only inside ``replica_reads()``: requests for dashboards, reports,
  exports and searches (GET or HEAD on settings.XINFANG_REPLICA_PATHS, see
  ``ReadYourWritesMiddleware``), the worker's list exports and its column store builds;
* a user who has just written (any request other than GET, HEAD or OPTIONS that did not fail) reads
  from the primary for XINFANG_READ_YOUR_WRITES_SECONDS: a cookie says until when. The page after a
  write therefore shows the write, however far the replica lags (up to that window).

Migrations run on the primary only; the replica follows it through streaming replication.
"""

import time
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
PRIMARY_ONLY_APPS = {"sessions", "axes", "otp_totp", "otp_static", "django_otp", "contenttypes", "migrations"}
COOKIE = "xf_primary_until"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def has_replica() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """The database this context's plain reads go to."""
    if not (has_replica() and _replica_reads.get()):
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


@contextmanager
def replica_reads(allowed: bool = True):
    """Within the block, reads outside a transaction may go to the replica (when ``allowed``)."""
    token = _replica_reads.set(allowed)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def wants_replica(request) -> bool:
    """A read-only request for a dashboard, a report, an export or a search, by a user who has not
    written in the last XINFANG_READ_YOUR_WRITES_SECONDS."""
    if request.method not in ("GET", "HEAD"):
        return False
    try:
        if float(request.COOKIES.get(COOKIE, "0")) > time.time():
            return False
    except ValueError:
        pass  # a cookie that is not a number: treated as absent
    for entry in settings.XINFANG_REPLICA_PATHS:
        path, _, param = entry.partition("?")
        if request.path.startswith(path) and (not param or request.GET.get(param)):
            return True
    return False


class ReadYourWritesMiddleware:
    """Routes a request's reads (``wants_replica``) and marks the client after a write."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not has_replica():
            return self.get_response(request)
        with replica_reads(wants_replica(request)):
            response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            seconds = settings.XINFANG_READ_YOUR_WRITES_SECONDS
            response.set_cookie(
                COOKIE,
                str(int(time.time()) + seconds),
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
