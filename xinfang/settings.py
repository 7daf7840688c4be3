"""Settings read from environment variables (see .env.example); defaults are the embedded set-up:
SQLite in WAL mode for data and for the Huey queue, everything under XINFANG_DATA_DIR.

Several servers (docs/deployment.md) share their state through engines switched on here:
XINFANG_REDIS_URL (queue, cache, rate-limit counters), XINFANG_S3_BUCKET (files), PostgreSQL with
XINFANG_REPLICA_URL (reads of dashboards, reports, exports and searches) and XINFANG_DB_POOL."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def env(name, default=""):
    """The variable's value; unset or empty means the default."""
    return os.environ.get(name) or default


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _load_dotenv(path):
    """Read KEY=VALUE lines from a .env file without overriding the real environment."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_dotenv(Path(env("XINFANG_ENV_FILE", str(Path.cwd() / ".env"))))

DATA_DIR = Path(env("XINFANG_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
DEBUG = env_bool("XINFANG_DEBUG", False)
SECRET_KEY = env("XINFANG_SECRET_KEY") or "insecure-development-key-set-XINFANG_SECRET_KEY-in-production"
ALLOWED_HOSTS = [h for h in env("XINFANG_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("XINFANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Where citizens reach the 网上信访 pages (the staff may work on an intranet address): the QR code on a
# printed 回执 points there. Empty: the address of the request that prints it.
PUBLIC_URL = env("XINFANG_PUBLIC_URL").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "huey.contrib.djhuey",
    "xinfang.core",
    "xinfang.org",
    "xinfang.deadlines",
    "xinfang.cases",
    "xinfang.petitions",
    "xinfang.grid",
    "xinfang.disputes",
    "xinfang.hazards",
    "xinfang.assessments",
    "xinfang.audit",
    "xinfang.api",
    "xinfang.portal",
    "xinfang.ledger",
    "xinfang.assist",
    "xinfang.supervision",
    "xinfang.documents",
    "xinfang.analytics",
    "xinfang.administration",
    "xinfang.demo",
]

MIDDLEWARE = [
    "xinfang.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "xinfang.core.observability.RequestMiddleware",
    "xinfang.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "xinfang.core.middleware.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "xinfang.core.dbrouter.ReadYourWritesMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "xinfang.org.accounts.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xinfang.urls"
WSGI_APPLICATION = "xinfang.wsgi.application"

# Form widgets are drawn from the templates above, so xinfang/templates/django/forms/ can give every file
# input the product's own control; dates are read in the ways xinfang/core/formats/ lists.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
FORMAT_MODULE_PATH = ["xinfang.core.formats"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env("XINFANG_DATABASE_URL")


def _postgres(url: str) -> dict:
    """Django's settings of a PostgreSQL database from a postgres:// URL. With XINFANG_DB_POOL
    (connections per server process), psycopg's pool keeps them open; Django then needs
    CONN_MAX_AGE 0 (the pool, not Django, keeps them)."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(url)
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": int(env("XINFANG_DB_CONN_MAX_AGE", "60")),
    }
    pool = int(env("XINFANG_DB_POOL", "0"))
    if pool:
        database["CONN_MAX_AGE"] = 0
        database["OPTIONS"] = {"pool": {"min_size": 1, "max_size": pool, "timeout": 10}}
    return database


if DATABASE_URL.startswith("postgres"):
    DATABASES = {"default": _postgres(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATABASE_URL.removeprefix("sqlite:///") or str(DATA_DIR / "xinfang.sqlite3"),
            # IMMEDIATE takes the write lock when a transaction starts, so two concurrent
            # transitions on one matter are serialised instead of failing half-way.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # The page cache per connection (SQLite's default is 2 MB): index inserts with random
                # keys (查询码, search hashes) of a 台账 import and list pages over a million matters
                # read far fewer pages from disk with it.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA cache_size=-{int(env('XINFANG_SQLITE_CACHE_MB', '64')) * 1024};",
            },
            # A file, not the in-memory default: tests of concurrent writers need real locking.
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }

# A streaming replica of the PostgreSQL primary (xinfang.core.dbrouter): dashboards, reports,
# exports and searches read from it, everything else (and whoever has just written) from the primary.
REPLICA_URL = env("XINFANG_REPLICA_URL")
if REPLICA_URL.startswith("postgres"):
    DATABASES["replica"] = _postgres(REPLICA_URL) | {"TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["xinfang.core.dbrouter.ReplicaRouter"]
# Requests whose reads may go to the replica (GET and HEAD only; "path?param": only when the query
# has that parameter, e.g. a search), and how long after a write a user's reads stay on the primary
# (longer than the replica's lag: docs/deployment.md).
XINFANG_REPLICA_PATHS = tuple(
    p for p in env("XINFANG_REPLICA_PATHS", "/analytics/,/matters/export/,/matters/?q").split(",") if p
)
XINFANG_READ_YOUR_WRITES_SECONDS = int(env("XINFANG_READ_YOUR_WRITES_SECONDS", "15"))

AUTH_USER_MODEL = "org.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "xinfang.org.validators.CharacterClassValidator"},
]
# The lockout check runs before the password check; django-axes records each failure.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(env("XINFANG_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("XINFANG_LOCKOUT_MINUTES", "30")))
# Per account, so that guessing one account's password from many addresses is stopped too. Not per
# address: a bureau's staff share one NAT address, and one mistyping colleague must not lock out all.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "xinfang.org.accounts.lockout_response"
AXES_VERBOSE = False
# Password plus a TOTP code for every staff account (set false only for a local demo).
XINFANG_TOTP_REQUIRED = env_bool("XINFANG_TOTP_REQUIRED", True)
OTP_TOTP_ISSUER = "信访通"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Idle timeout: the session is renewed on every request and ends after this many idle seconds.
SESSION_COOKIE_AGE = int(env("XINFANG_SESSION_SECONDS", "1800"))
# Idle sign-out: IdleSessionMiddleware renews an active session at most once a minute instead of
# saving it on every request, so the limit is SESSION_COOKIE_AGE minus up to a minute of activity.
XINFANG_SESSION_RENEW_SECONDS = int(env("XINFANG_SESSION_RENEW_SECONDS", "60"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("XINFANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = env("XINFANG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
NODE_MODULES = Path(env("XINFANG_NODE_MODULES", str(BASE_DIR.parent / "node_modules")))
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
# The folder of the files every server must see: unset, the data directory (one machine); a shared
# mount (NFS) for several servers without an object store.
XINFANG_SHARED_DIR = Path(env("XINFANG_SHARED_DIR")) if env("XINFANG_SHARED_DIR") else None
MEDIA_ROOT = (XINFANG_SHARED_DIR or DATA_DIR) / "media"
# The analytics column store (xinfang.analytics.snapshot) and the similar-matter index
# (xinfang.assist.similar_matters): built by the worker, published with a version, loaded by every
# web process (memory-mapped, shared by the processes of a server).
ANALYTICS_DIR = Path(env("XINFANG_ANALYTICS_DIR", str((XINFANG_SHARED_DIR or DATA_DIR) / "analytics")))
XINFANG_SIMILAR_DIR = Path(env("XINFANG_SIMILAR_DIR", str((XINFANG_SHARED_DIR or DATA_DIR) / "similar")))
# Every file goes through a storage (xinfang.core.storage): attachments ("default"), 台账 uploads and
# their error files ("imports") and list exports ("exports"), encrypted at rest; the published column store
# ("analytics") and similar-matter index ("similar"). Locally they are folders of XINFANG_SHARED_DIR
# (the data directory, or a shared mount); with XINFANG_S3_BUCKET, prefixes of an S3-compatible bucket, and each server
# keeps the published versions it loads under XINFANG_CACHE_DIR.
XINFANG_S3_BUCKET = env("XINFANG_S3_BUCKET")
XINFANG_CACHE_DIR = Path(env("XINFANG_CACHE_DIR", str(DATA_DIR / "published")))
if XINFANG_S3_BUCKET:
    _s3 = {
        "bucket_name": XINFANG_S3_BUCKET,
        "endpoint_url": env("XINFANG_S3_ENDPOINT_URL") or None,
        "region_name": env("XINFANG_S3_REGION") or None,
        "access_key": env("XINFANG_S3_ACCESS_KEY") or None,
        "secret_key": env("XINFANG_S3_SECRET_KEY") or None,
        "file_overwrite": True,
        "default_acl": None,
        "querystring_auth": True,
    }
    STORAGES = {
        "default": {
            "BACKEND": "xinfang.core.storage.EncryptedS3Storage",
            "OPTIONS": _s3 | {"location": "media"},
        },
        "imports": {
            "BACKEND": "xinfang.core.storage.EncryptedS3Storage",
            "OPTIONS": _s3 | {"location": "imports"},
        },
        "exports": {
            "BACKEND": "xinfang.core.storage.EncryptedS3Storage",
            "OPTIONS": _s3 | {"location": "exports"},
        },
        "analytics": {
            "BACKEND": "xinfang.core.storage.S3Storage",
            "OPTIONS": _s3 | {"location": "analytics"},
        },
        "similar": {"BACKEND": "xinfang.core.storage.S3Storage", "OPTIONS": _s3 | {"location": "similar"}},
    }
else:
    STORAGES = {
        "default": {"BACKEND": "xinfang.core.storage.EncryptedLocalStorage"},
        "imports": {
            "BACKEND": "xinfang.core.storage.EncryptedLocalStorage",
            "OPTIONS": {"setting": "XINFANG_SHARED_DIR", "subfolder": "imports"},
        },
        "exports": {
            "BACKEND": "xinfang.core.storage.EncryptedLocalStorage",
            "OPTIONS": {"setting": "XINFANG_SHARED_DIR", "subfolder": "exports"},
        },
        "analytics": {
            "BACKEND": "xinfang.core.storage.LocalStorage",
            "OPTIONS": {"setting": "ANALYTICS_DIR"},
        },
        "similar": {
            "BACKEND": "xinfang.core.storage.LocalStorage",
            "OPTIONS": {"setting": "XINFANG_SIMILAR_DIR"},
        },
    }
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# How often a web process asks a remote store whether a newer version has been published.
XINFANG_PUBLISHED_CHECK_SECONDS = int(env("XINFANG_PUBLISHED_CHECK_SECONDS", "5"))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
XINFANG_MAX_ATTACHMENT_BYTES = int(env("XINFANG_MAX_ATTACHMENT_BYTES", str(20 * 1024 * 1024)))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Personal data of matters closed longer ago than this is anonymised (statistics are kept).
XINFANG_RETENTION_DAYS = int(env("XINFANG_RETENTION_DAYS", str(3 * 365)))

# 息诉罢访: a petitioner who neither asks for review nor petitions again this many days after the
# written reply has stopped petitioning.
XINFANG_FOLLOW_UP_DAYS = int(env("XINFANG_FOLLOW_UP_DAYS", "90"))

# The jurisdiction's deadline policy set (see xinfang/deadlines/policies.py).
XINFANG_POLICY_SET = env("XINFANG_POLICY_SET", "national")

# Redis, when set, holds the job queue, the cache and the rate-limit counters of every server.
REDIS_URL = env("XINFANG_REDIS_URL")

# Shared by the web workers (cached unit scores). Rate-limit counters are in the database
# (xinfang.core.ratelimit), not here: a file cache's increments are not atomic; with Redis, both are
# in Redis.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
# Whether a web process may build the column store or the similar-matter index itself when none has
# been published: yes on one machine; with several servers only the worker builds them.
XINFANG_WEB_BUILDS = env_bool("XINFANG_WEB_BUILDS", not REDIS_URL)
# The column store is brought up to date (changed matters only) this often, and rebuilt whole this
# often (matters deleted, divisions, units or categories changed).
XINFANG_SNAPSHOT_SECONDS = int(env("XINFANG_SNAPSHOT_SECONDS", "30"))
XINFANG_SNAPSHOT_FULL_MINUTES = int(env("XINFANG_SNAPSHOT_FULL_MINUTES", "60"))
# The deadline sweep runs every this many minutes (a divisor of 60).
XINFANG_SWEEP_MINUTES = int(env("XINFANG_SWEEP_MINUTES", "15"))

# Calls per integration token, and failed token checks per client address ("count/s|m|h|d"), the
# same on /api/v1/ and Open311.
XINFANG_API_RATE = env("XINFANG_API_RATE", "120/m")
XINFANG_API_FAILURE_RATE = env("XINFANG_API_FAILURE_RATE", "20/m")
# Open311 calls without an api_key (services, discovery, a request's public status), per address.
XINFANG_OPEN311_PUBLIC_RATE = env("XINFANG_OPEN311_PUBLIC_RATE", "60/m")
# Open311 discovery: whom integrators contact for an api_key.
XINFANG_OPEN311_CONTACT = env("XINFANG_OPEN311_CONTACT", "")
# The 12345 hotline (xinfang/api/hotline.py, docs/hotline-12345.md): where the 办理结果 are posted,
# the shared secret they are signed with (HMAC-SHA256), and how many tries before a person decides.
XINFANG_HOTLINE_WEBHOOK_URL = env("XINFANG_HOTLINE_WEBHOOK_URL", "")
XINFANG_HOTLINE_SECRET = env("XINFANG_HOTLINE_SECRET", "")
XINFANG_HOTLINE_MAX_ATTEMPTS = int(env("XINFANG_HOTLINE_MAX_ATTEMPTS", "8"))

# List exports up to this many rows are written while the user waits; larger ones by the worker.
XINFANG_EXPORT_INLINE_ROWS = int(env("XINFANG_EXPORT_INLINE_ROWS", "5000"))
# Files of background exports are deleted this many hours after they were written.
XINFANG_EXPORT_KEEP_HOURS = int(env("XINFANG_EXPORT_KEEP_HOURS", "24"))
# 台账 import: the largest file accepted, and how long a stopped import's claim is honoured before
# the worker resumes it (each chunk of 2,000 rows renews the claim).
XINFANG_IMPORT_MAX_MB = int(env("XINFANG_IMPORT_MAX_MB", "100"))
# …and what an accepted file may hold: data rows, and the size of an .xlsx once unzipped (a small
# .xlsx can unpack to gigabytes; 100,000 rows written by openpyxl unpack to about 190 MB).
XINFANG_IMPORT_MAX_ROWS = int(env("XINFANG_IMPORT_MAX_ROWS", "200000"))
XINFANG_IMPORT_MAX_UNPACKED_MB = int(env("XINFANG_IMPORT_MAX_UNPACKED_MB", "500"))
XINFANG_IMPORT_LEASE_SECONDS = int(env("XINFANG_IMPORT_LEASE_SECONDS", "120"))

# Case intelligence (xinfang/assist): the newest matters a model trains on, the history a deployment
# needs before its own category model replaces the default one, and where the similar-matter index
# keeps its snapshot.
XINFANG_MODEL_MAX_DOCS = int(env("XINFANG_MODEL_MAX_DOCS", "200000"))
XINFANG_MODEL_MIN_HISTORY = int(env("XINFANG_MODEL_MIN_HISTORY", "300"))
# Without a snapshot, a page indexes the matters itself only up to this many; above it the worker does.
XINFANG_SIMILAR_INLINE_BUILD = int(env("XINFANG_SIMILAR_INLINE_BUILD", "50000"))
# Seconds the OCR engine may spend on one scanned letter (all its pages) in the worker.
XINFANG_OCR_TIMEOUT = float(env("XINFANG_OCR_TIMEOUT", "90"))

# 网上信访: submissions per address and per identity; wrong tracking tries per (查询码, address) and,
# higher, per address over all codes; duplicates.
XINFANG_PORTAL_FILE_RATE = env("XINFANG_PORTAL_FILE_RATE", "10/h")
XINFANG_PORTAL_IDENTITY_RATE = env("XINFANG_PORTAL_IDENTITY_RATE", "5/d")
XINFANG_PORTAL_TRACK_CODE_RATE = env("XINFANG_PORTAL_TRACK_CODE_RATE", "5/h")
XINFANG_PORTAL_TRACK_RATE = env("XINFANG_PORTAL_TRACK_RATE", "30/h")
XINFANG_PORTAL_DUPLICATE_MINUTES = int(env("XINFANG_PORTAL_DUPLICATE_MINUTES", "30"))
XINFANG_PORTAL_MAX_FILES = int(env("XINFANG_PORTAL_MAX_FILES", "5"))
XINFANG_PORTAL_MAX_FILE_BYTES = int(env("XINFANG_PORTAL_MAX_FILE_BYTES", str(10 * 1024 * 1024)))
# A challenge for the filing form (a class with render(request) and verify(request)); none by default.
XINFANG_PORTAL_CHALLENGE = env("XINFANG_PORTAL_CHALLENGE")
# Pages under these paths show a matter or what a petitioner typed without anyone signing in: like
# signed-in pages they are sent with Cache-Control: no-store, error pages included.
XINFANG_NO_STORE_PATHS = ("/portal/",)

if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "xinfang",
        "connection": {"url": REDIS_URL},
        "immediate": env_bool("XINFANG_HUEY_IMMEDIATE", False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "xinfang",
        "filename": env("XINFANG_HUEY_DB", str(DATA_DIR / "huey.sqlite3")),
        "immediate": env_bool("XINFANG_HUEY_IMMEDIATE", False),
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

# A worker that claimed a notification and died: after this many seconds another may send it.
XINFANG_NOTIFICATION_LEASE_SECONDS = int(env("XINFANG_NOTIFICATION_LEASE_SECONDS", "600"))
XINFANG_NOTIFICATION_BACKEND = env(
    "XINFANG_NOTIFICATION_BACKEND", "xinfang.core.notifications.ConsoleBackend"
)
# SMS for petitioners (RoutingBackend / SmsBackend): the gateway class, its URL, key and signature.
XINFANG_SMS_GATEWAY = env("XINFANG_SMS_GATEWAY", "xinfang.core.notifications.HttpSmsGateway")
XINFANG_SMS_GATEWAY_URL = env("XINFANG_SMS_GATEWAY_URL")
XINFANG_SMS_GATEWAY_KEY = env("XINFANG_SMS_GATEWAY_KEY")
XINFANG_SMS_SIGN = env("XINFANG_SMS_SIGN", "信访通")
# E-mail for staff (RoutingBackend / EmailBackend), through Django's SMTP settings.
EMAIL_HOST = env("XINFANG_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("XINFANG_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("XINFANG_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("XINFANG_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("XINFANG_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("XINFANG_EMAIL_FROM", "xinfang@localhost")

# One handler, and no log line with a query string in it (xinfang.core.logs). Django's own
# handlers (its console in DEBUG, the development server's request lines) are replaced by it.
# XINFANG_LOG_FORMAT=json writes one JSON object per line with the request id (xinfang.core.observability).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_query_strings": {"()": "xinfang.core.logs.RedactQueryStrings"},
        "request_id": {"()": "xinfang.core.observability.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "xinfang.core.observability.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["no_query_strings", "request_id"],
            **({"formatter": "json"} if env("XINFANG_LOG_FORMAT") == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env("XINFANG_LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        # django-axes logs every sign-in at INFO; the audit log already records them.
        "axes": {"level": "WARNING"},
        # The worker's own lines through the same handler (run_huey adds a handler of its own, and
        # every line twice, only to a "huey" logger without one).
        "huey": {"handlers": ["console"], "propagate": False},
    },
}

# Addresses that may read /metrics (comma-separated; nginx keeps it from the outside as well).
XINFANG_METRICS_ALLOW = env("XINFANG_METRICS_ALLOW", "127.0.0.1,::1")
# "json": logs as JSON lines with the request id, and no gunicorn access log (each request is
# logged once, by xinfang.core.observability); empty: plain lines, as on one machine.
XINFANG_LOG_FORMAT = env("XINFANG_LOG_FORMAT")
# Addresses of the reverse proxies (nginx) whose X-Real-IP header names the client (comma-separated).
XINFANG_TRUSTED_PROXIES = [a for a in env("XINFANG_TRUSTED_PROXIES").split(",") if a]
# Notifications left pending (a failed send, a worker that died holding them) are retried this often.
XINFANG_OUTBOX_RETRY_MINUTES = int(env("XINFANG_OUTBOX_RETRY_MINUTES", "5"))
