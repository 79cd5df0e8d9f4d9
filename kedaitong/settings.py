"""Settings for the Kedaitong portal, read from the environment.

Defaults are safe for a laptop (SQLite in the checkout, console e-mail, DEBUG
on); `DJANGO_ENV=production` switches to production mode, in which
`manage.py check --deploy --fail-level WARNING` must report nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from kedaitong.env import (
    DEVELOPMENT_SECRET_KEY,
    SECRET_KEY_HINT,
    EnvError,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_str,
    secret_key_problem,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DJANGO_ENV = env_str("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in ("development", "production", "test"):
    raise EnvError(f"DJANGO_ENV={DJANGO_ENV!r} must be development, production or test")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise EnvError("DEBUG=true is not allowed with DJANGO_ENV=production")

SECRET_KEY = env_str("SECRET_KEY")
if PRODUCTION:
    if not SECRET_KEY:
        raise EnvError("SECRET_KEY must be set when DJANGO_ENV=production")
    # Never the committed development key, nor a short or plain one (kedaitong/env.py).
    if (problem := secret_key_problem(SECRET_KEY)) is not None:
        raise EnvError(f"{problem}, which DJANGO_ENV=production refuses; {SECRET_KEY_HINT}")
if not SECRET_KEY:
    # A fixed key for laptops and tests only; production refuses it (and `check --deploy` flags it).
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise EnvError(
        "ALLOWED_HOSTS must be set when DJANGO_ENV=production (comma-separated host names)"
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "kedaitong",
    "applications",
    "review",
    "loans",
    "compensation",
    "subsidy",
    "reports",
    # One package per kind of program (kedaitong/programs.py, docs/architecture.md).
    "programs.changjiang",
    "programs.quzhou",
    "api",
    "operations",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "kedaitong.apps.StaticFilesConfig",  # django.contrib.staticfiles, without what nothing serves
    "django.contrib.humanize",
    "django_fsm",
    "import_export",
    "kedaitong.apps.FailedLoginsConfig",  # django-axes, named for the admin
    "ninja",  # the bank API's docs page uses its vendored Swagger UI (static files, no CDN)
    "django_ratelimit",
    "django_tasks",
    "kedaitong.apps.TaskResultsConfig",  # django_tasks_db, named for the admin
    "csp",
]

MIDDLEWARE = [
    # First: the client's address, worked out once (kedaitong/client.py) for everything after.
    "kedaitong.client.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kedaitong.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "applications.scope.ProgramMiddleware",
    # Changes to money rows are recorded with the request's user and page (operations.history).
    "operations.middleware.HistoryContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.ApiCallAuditMiddleware",
    # Turns a throttle's refusal into the Chinese 429 page (kedaitong/throttle.py).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks, so that it sees the authentication result.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from the portal only, so an
# inline <script>, style="" or on*= handler never runs (tests/test_csp.py scans every template for
# them). The admin ships inline scripts of its own and is left out; so are Django's debug pages.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "kedaitong.urls"
WSGI_APPLICATION = "kedaitong.wsgi.application"
ASGI_APPLICATION = "kedaitong.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kedaitong.context_processors.navigation",
                "applications.context_processors.program_switch",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, for the test database: concurrency tests need real connections.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "kedaitong.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        # Django's own, with a message its zh_Hans catalogue translates (kedaitong/passwords.py).
        "NAME": "kedaitong.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A registration's e-mail verification link (a signed token) works this many days.
EMAIL_VERIFICATION_DAYS = env_int("EMAIL_VERIFICATION_DAYS", 3)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed logins (django-axes): lock a username from one address after
# AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_MINUTES. The address is the client's
# (kedaitong/client.py), not the proxy's, so failures elsewhere never lock the user out here.
AXES_CLIENT_IP_CALLABLE = "kedaitong.client.client_address"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Source maps are fetched only by a developer's tools: served as they are, not compressed at build time
# (brotli took about three quarters of the production collectstatic, half of it on the maps).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploads: PDF, JPEG or PNG judged by content, at most this many megabytes each.
UPLOAD_MAX_MB = env_int("UPLOAD_MAX_MB", 20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# How long a confirmation page's token stays good (kedaitong/confirm.py), in seconds.
CONFIRM_MAX_AGE = env_int("CONFIRM_MAX_AGE", 30 * 60)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kedaitong@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Who hears of daily work that ended with a non-zero status (kedaitong/schedule.py), as cron would mail it.
ADMINS = [(address, address) for address in env_list("ADMINS", [])]
if any("@" not in address for address, _name in ADMINS):
    raise EnvError("ADMINS must be comma-separated e-mail addresses")

# Background work runs through Django's Tasks API (the django-tasks backport; kedaitong/jobs.py).
# "database": django-tasks-db keeps the queue in the database and `manage.py run_jobs` workers
# (any number, on any machine that reaches it) run it; `make run` starts one. "immediate": the
# work runs inside the request that queues it, with no worker (tests; a quick look at the portal).
TASKS_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = env_str("TASKS_BACKEND", "database").strip().lower()
if TASKS_BACKEND not in TASKS_BACKENDS:
    raise EnvError(f"TASKS_BACKEND={TASKS_BACKEND!r} must be one of {', '.join(TASKS_BACKENDS)}")
TASKS = {"default": {"BACKEND": TASKS_BACKENDS[TASKS_BACKEND]}}
# A running job whose heartbeat is older than this lost its worker and is queued again,
# at most JOBS_MAX_ATTEMPTS times in all.
JOBS_STALE_SECONDS = env_int("JOBS_STALE_SECONDS", 60)
JOBS_MAX_ATTEMPTS = env_int("JOBS_MAX_ATTEMPTS", 3)
# Admin imports of reference lists (django-import-export, kedaitong/reference_io.py): each import in one
# transaction; the file waits for its confirmation in MEDIA_ROOT/django-import-export/, which every app
# server shares, so the preview and the confirmation may land on different machines.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.MediaStorage"
# Exports up to this many rows download at once; larger ones run as a job with progress.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000)

# Behind a reverse proxy: trust its X-Forwarded-Proto (production) and the addresses the
# TRUSTED_PROXY_COUNT proxies append to X-Forwarded-For (kedaitong/client.py: the audit trail,
# failed logins, throttles); never otherwise, since clients can forge both.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)
if TRUSTED_PROXY_COUNT < 1:
    raise EnvError(
        f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT!r} must be 1 or more "
        "(the proxies in front of the portal that append to X-Forwarded-For)"
    )

# The cache is shared by every web process (the public objection form's throttle counts
# per address across all of them): the database by default, whose table a migration of
# review/ creates; memcached or redis when CACHE_LOCATION names the server.
CACHE_BACKENDS = {
    # Django's database cache with an atomic increment (kedaitong/cache.py), for the throttles.
    "database": "kedaitong.cache.AtomicDatabaseCache",
    "memcached": "django.core.cache.backends.memcached.PyMemcacheCache",
    "redis": "django.core.cache.backends.redis.RedisCache",
    "locmem": "django.core.cache.backends.locmem.LocMemCache",  # one process only: development
}
CACHE_BACKEND = env_str("CACHE_BACKEND", "database").strip().lower()
if CACHE_BACKEND not in CACHE_BACKENDS:
    raise EnvError(f"CACHE_BACKEND={CACHE_BACKEND!r} must be one of {', '.join(CACHE_BACKENDS)}")
CACHE_LOCATION = env_str("CACHE_LOCATION", "kedaitong_cache" if CACHE_BACKEND == "database" else "")
if CACHE_BACKEND in ("memcached", "redis") and not CACHE_LOCATION:
    raise EnvError(f"CACHE_LOCATION must name the server when CACHE_BACKEND={CACHE_BACKEND}")
CACHES = {"default": {"BACKEND": CACHE_BACKENDS[CACHE_BACKEND], "LOCATION": CACHE_LOCATION}}

# The bank API (api/): calls per token and window ("120/m", "10/s", "5000/h"), rows per batch.
API_THROTTLE_RATE = env_str("API_THROTTLE_RATE", "120/m").strip()
if not re.fullmatch(r"[1-9][0-9]{0,6}/[smhd]", API_THROTTLE_RATE):
    raise EnvError(
        f"API_THROTTLE_RATE={API_THROTTLE_RATE!r} must be calls per s, m, h or d, e.g. 120/m"
    )
API_BATCH_MAX_ROWS = env_int("API_BATCH_MAX_ROWS", 10_000)
if not 1 <= API_BATCH_MAX_ROWS <= 100_000:
    raise EnvError(f"API_BATCH_MAX_ROWS={API_BATCH_MAX_ROWS!r} must be between 1 and 100000")
# Issued PDFs kept in each process's memory, by the hash of their final HTML, up to this many bytes
# (kedaitong/pdf.py RenderedPDFs): a document asked for again is not rendered again. 0: none kept.
PDF_CACHE_BYTES = env_int("PDF_CACHE_BYTES", 32 * 1024 * 1024)
if not 0 <= PDF_CACHE_BYTES <= 1024 * 1024 * 1024:
    raise EnvError(f"PDF_CACHE_BYTES={PDF_CACHE_BYTES!r} must be between 0 and 1073741824")
# Verification links printed on every PDF (QR code): the portal's public address; in production
# by default https:// and the first of ALLOWED_HOSTS.
PUBLIC_URL = (
    env_str(
        "PUBLIC_URL",
        f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://127.0.0.1:8000",
    )
    .strip()
    .rstrip("/")
)
if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", PUBLIC_URL):
    raise EnvError(
        f"PUBLIC_URL={PUBLIC_URL!r} must be the portal's address, e.g. https://kdt.example.gov.cn"
    )
# Throttles (kedaitong/throttle.py, django-ratelimit): count in a cache every process shares,
# keyed by the client's address (kedaitong/client.py). A one-process locmem cache would let
# each process count alone, so with CACHE_BACKEND=locmem the throttles keep the database cache.
RATELIMIT_USE_CACHE = "default"
if CACHE_BACKEND == "locmem":
    CACHES["throttle"] = {"BACKEND": CACHE_BACKENDS["database"], "LOCATION": "kedaitong_cache"}
    RATELIMIT_USE_CACHE = "throttle"
RATELIMIT_IP_META_KEY = "kedaitong.client.ratelimit_address"
RATELIMIT_VIEW = "kedaitong.views.throttled"
# django-ratelimit warns about every cache it has not listed; ours are memcached, Django's own
# redis backend and the database cache with an atomic increment (kedaitong/cache.py, tested).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
# "N/h": N requests an hour (s, m, h, d; "N/10m" ten minutes) per key (docs/security.md).
THROTTLE_RATES = {
    "login": "30/h",  # failed logins from one address, whatever the user names
    "register": "10/h",  # registration forms posted from one address
    "dispute": "10/h",  # dispute forms posted from one address
    "password-reset": "10/h",  # reset forms posted from one address
    "password-reset-email": "3/h",  # reset e-mails asked for one e-mail address
    "objection": "5/h",  # public objection forms posted from one address
    "subsidy-objection": "5/h",  # objections to a subsidy run's publicity (Quzhou 四(一)), one address
    "email-verification": "5/h",  # verification e-mails resent for one user
}

# The daily `review_overdue` lists items waiting in a review state longer than this many days.
REVIEW_OVERDUE_DAYS = env_int("REVIEW_OVERDUE_DAYS", 5)
if REVIEW_OVERDUE_DAYS < 1:
    raise EnvError(
        f"REVIEW_OVERDUE_DAYS={REVIEW_OVERDUE_DAYS!r} must be a whole number of days, 1 or more"
    )

# Changjiang 第十条 到期提示: the daily `loan_maturity_reminders` tells banks of loans maturing within this many days.
MATURITY_REMINDER_DAYS = env_int("MATURITY_REMINDER_DAYS", 30)
if MATURITY_REMINDER_DAYS < 0:
    raise EnvError(
        f"MATURITY_REMINDER_DAYS={MATURITY_REMINDER_DAYS!r} must be a whole number of days, 0 or more"
    )

# Backups (operations/backup.py, docs/operations.md): where the sets go, how many days of them stay.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(BASE_DIR / "var" / "backups")))
BACKUP_KEEP_DAYS = env_int("BACKUP_KEEP_DAYS", 14)
# How long a SQLite backup waits for a database locked by writers before it gives up.
BACKUP_BUSY_SECONDS = env_int("BACKUP_BUSY_SECONDS", 300)
if BACKUP_KEEP_DAYS < 1:
    raise EnvError(
        f"BACKUP_KEEP_DAYS={BACKUP_KEEP_DAYS!r} must be a whole number of days, 1 or more"
    )
# Several machines: an S3-compatible bucket through django-storages instead of the folder.
BACKUP_S3_BUCKET = env_str("BACKUP_S3_BUCKET")
if BACKUP_S3_BUCKET:
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BACKUP_S3_BUCKET,
            "location": env_str("BACKUP_S3_PREFIX", "kedaitong-backups"),
            "endpoint_url": env_str("BACKUP_S3_ENDPOINT_URL") or None,
            "region_name": env_str("BACKUP_S3_REGION") or None,
            "access_key": env_str("BACKUP_S3_ACCESS_KEY") or None,
            "secret_key": env_str("BACKUP_S3_SECRET_KEY") or None,
            "default_acl": None,
            "file_overwrite": False,
        },
    }
else:
    STORAGES["backups"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BACKUP_DIR), "file_permissions_mode": 0o600},
    }

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Behind a load balancer that terminates TLS and sets X-Forwarded-Proto.
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "fontTools": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# Where each role lands after login; the labels appear in the navigation.
PORTAL_NAME = _("Kedaitong tech-loan portal")
