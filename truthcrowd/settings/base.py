"""All settings, read from the environment, with embedded defaults that need no services."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env")  # optional; real environment variables win

# Only ever used in embedded (development) mode: production.py refuses to start with it.
DEV_SECRET_KEY = "django-insecure-truthcrowd-development-key-do-not-use-in-production"

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# MTurk shows a HIT in an iframe on mturk.com, where a Lax cookie is not sent with the form
# posts: MTurk deployments set None (it needs HTTPS, which production enforces).
CSRF_COOKIE_SAMESITE = env("DJANGO_CSRF_COOKIE_SAMESITE", default="Lax")

# Salt for the pseudonymous worker ids shown in exports; keep it secret and stable per deployment.
WORKER_ID_SALT = env("WORKER_ID_SALT", default="truthcrowd-dev-worker-salt")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "assessments",
    "search",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "truthcrowd.urls"
WSGI_APPLICATION = "truthcrowd.wsgi.application"
ASGI_APPLICATION = "truthcrowd.asgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the embedded server take concurrent writes without
    # "database is locked" errors; a busy timeout waits for the writer instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis switches on the production path: broker + shared cache, separate worker and beat.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    # Embedded mode: tasks run in-process; delay_on_commit runs them right after the commit.
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # state lives in models, never in AsyncResult
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
# With Redis, an unacknowledged task is redelivered after this many seconds: keep it above the
# longest task time limit so that a slow task is not run twice while it is still running.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How often an open dashboard of a live batch polls its progress (seconds).
DASHBOARD_POLL_SECONDS = env.int("DASHBOARD_POLL_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "assessments.tasks.worker_heartbeat_task", "schedule": 60.0},
    # Catches HITs whose aggregation task was lost and refreshes batch-level analysis results.
    "analysis-reconcile": {
        "task": "assessments.tasks.analysis_reconcile_task",
        "schedule": env.float("ANALYSIS_RECONCILE_INTERVAL_S", default=300.0),
    },
    "assignments-expire-stale": {
        "task": "assessments.tasks.assignments_expire_stale_task",
        "schedule": 60.0,
    },
    # Recounts the dashboard figures of live batches (progress, funnel, workers, searches).
    "dashboards-refresh-live": {
        "task": "assessments.tasks.dashboards_refresh_live_task",
        "schedule": env.float("DASHBOARD_REFRESH_INTERVAL_S", default=60.0),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "admin:login"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# Evidence search (search/, docs/search.md). Backends read these when they run, never at import.
# SEARCH_BACKEND: local (full-text index over the loaded corpus), searxng, brave, bing, or a dotted
# path; a batch's search_provider overrides it.
SEARCH_BACKEND = env("SEARCH_BACKEND", default="local")
# The local backend's BM25 index is saved here and shared by the processes that can read it.
SEARCH_INDEX_DIR = env("SEARCH_INDEX_DIR", default=str(BASE_DIR / "var" / "search-index"))
SEARCH_PAGE_SIZE = env.int("SEARCH_PAGE_SIZE", default=10)
SEARCH_MAX_PAGE = env.int("SEARCH_MAX_PAGE", default=10)
SEARCH_CACHE_TIMEOUT_S = env.int("SEARCH_CACHE_TIMEOUT_S", default=24 * 3600)
SEARCH_THROTTLE_RATES = env.list("SEARCH_THROTTLE_RATES", default=["20/minute", "300/hour"])
SEARCH_TIMEOUT_S = env.float("SEARCH_TIMEOUT_S", default=4.0)
SEARCH_RETRIES = env.int("SEARCH_RETRIES", default=1)
SEARCH_API_KEY = env("SEARCH_API_KEY", default="")
SEARXNG_URL = env("SEARXNG_URL", default="")
BRAVE_SEARCH_URL = env("BRAVE_SEARCH_URL", default="https://api.search.brave.com/res/v1/web/search")
BRAVE_SEARCH_API_KEY = env("BRAVE_SEARCH_API_KEY", default="")
BING_SEARCH_URL = env("BING_SEARCH_URL", default="")
BING_SEARCH_API_KEY = env("BING_SEARCH_API_KEY", default="")
BING_SEARCH_MARKET = env("BING_SEARCH_MARKET", default="en-US")
# Researcher REST API (assessments/api, docs/api.md): token and session auth, per-token throttle.
INSTALLED_APPS += [
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="3600/hour")
SPECTACULAR_SETTINGS = {
    "TITLE": "truthcrowd researcher API",
    "DESCRIPTION": (
        "Read batches and what workers produced, download exports and study data packages, "
        "create batches. Authenticate with `Authorization: Token <key>` (tokens are created "
        "and revoked in the admin) or an admin session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BatchStatusEnum": "assessments.models.Batch.Status",
        "AssignmentStatusEnum": "assessments.models.Assignment.Status",
        "AttemptStatusEnum": "assessments.models.Attempt.Status",
    },
}
