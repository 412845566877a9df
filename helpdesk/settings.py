"""Settings, read from environment variables.

With no variable set the help desk runs embedded: a SQLite file, tasks run inside the
process, an in-process ticker fires the periodic tasks and the channel layer lives in
memory. `DATABASE_URL` switches to PostgreSQL, `REDIS_URL` to Celery over Redis and the
Redis channel layer.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HELPDESK_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


_secret = os.environ.get("SECRET_KEY", "")
# Without a real secret the process is a development instance: debug on unless told otherwise.
DEBUG = env_bool("DEBUG", default=not _secret)
if not _secret:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    _secret = "dev-insecure-key-only-for-local-use-" + "x" * 20
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "helpdesk.apps.HelpdeskConfig",
    "tickets.apps.TicketsConfig",
    "channels_in.apps.ChannelsInConfig",
    "sla.apps.SlaConfig",
    "tickets.automation.apps.AutomationConfig",
    "tickets.integrations.apps.IntegrationsConfig",
    "metrics.apps.MetricsConfig",
    "helpdesk.audit.apps.AuditConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "helpdesk.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tickets.middleware.AgentPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

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
                "helpdesk.context_processors.roles",
            ],
            "libraries": {"crm": "tickets.transfer.templatetags"},
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    }
    # An unreachable database (not just a refused connection) must not hang a request or
    # /healthz for the TCP timeout: give up connecting after a few seconds.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "helpdesk.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, channel layer, cache ------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
EMBEDDED = not REDIS_URL

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = EMBEDDED
CELERY_TASK_EAGER_PROPAGATES = False
# Reliability (docs/operations.md, tests/faults/): a task is acknowledged only after it ran,
# so a worker killed mid-task leaves it on the broker; a pool child lost mid-task puts it
# back at once; a task the worker never acknowledged (the whole worker killed) comes back
# after the visibility timeout. The journal's requeue sweep also re-sends rows left
# `received`, and the intake services are idempotent, so a redelivery is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
}
if os.environ.get("CELERY_UNACKED_RESTORE_SECONDS"):
    # How often a worker looks for tasks past the visibility timeout (kombu: ~100 s).
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"] = int(
        os.environ["CELERY_UNACKED_RESTORE_SECONDS"]
    )
    CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_throttle"] = 1
# A web process must not hang on a broker that is away: the webhook is already journaled and
# the requeue sweep enqueues it later, so publish gives up quickly.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
# A worker waits for the broker however long it is away instead of exiting after 100 tries.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Several deployments may share one Redis: give each its own queue name.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "helpdesk")
# Task modules outside an app's tasks.py (autodiscovery finds only those).
CELERY_IMPORTS = ["tickets.transfer.jobs"]
# The only periodic schedule. Celery beat reads it in production; the in-process ticker
# (helpdesk/ticker.py) reads the same entries in the embedded default.
CELERY_BEAT_SCHEDULE = {
    "outbound-retry-due": {
        "task": "tickets.outbound_retry_due",
        "schedule": float(os.environ.get("OUTBOUND_RETRY_INTERVAL", "15")),
    },
    "inbound-requeue-stale": {
        "task": "channels_in.inbound_requeue_stale",
        "schedule": float(os.environ.get("INBOUND_REQUEUE_INTERVAL", "60")),
    },
    "email-imap-poll": {
        "task": "email.imap_poll",
        "schedule": float(os.environ.get("IMAP_POLL_INTERVAL", "60")),
    },
    "sla-sweep": {
        "task": "sla.sweep",
        "schedule": float(os.environ.get("SLA_SWEEP_INTERVAL", "30")),
    },
    "rules-time-sweep": {
        "task": "automation.rules_time_sweep",
        "schedule": float(os.environ.get("RULES_TIME_SWEEP_INTERVAL", "300")),
    },
    "webhooks-retry-due": {
        "task": "integrations.webhooks_retry_due",
        "schedule": float(os.environ.get("OUTBOUND_WEBHOOK_RETRY_INTERVAL", "15")),
    },
    "metrics-rollup-refresh": {
        "task": "metrics.rollup_refresh",
        "schedule": float(os.environ.get("METRICS_ROLLUP_INTERVAL", "3600")),
    },
}
# Whether this process runs the in-process ticker (embedded default only).
TICKER_ENABLED = env_bool("HELPDESK_TICKER", default=EMBEDDED)

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py's default 5 s socket timeout equals channels-redis' blocking read, so
            # idle websockets would drop every 5 s: give reads room.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": "helpdesk:ws",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "helpdesk",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "queue"
LOGOUT_REDIRECT_URL = "login"
# Sign-in refuses the username or address after this many failures within the window
# (helpdesk/login_throttle.py; counters in the cache).
AUTHENTICATION_BACKENDS = ["helpdesk.login_throttle.ThrottledModelBackend"]
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW = int(os.environ.get("LOGIN_FAILURE_WINDOW", str(15 * 60)))
# A signed-in session lasts this long (seconds), or until the browser closes if asked.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", False)
# API tokens older than this (seconds) are refused; POST /api/auth/token/ issues a new one.
# 0 keeps tokens until deleted.
API_TOKEN_TTL = int(os.environ.get("API_TOKEN_TTL", str(30 * 24 * 3600)))

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.api_parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.auth_tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["helpdesk.permissions.IsOperator"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "helpdesk.api_pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "helpdesk.api_schema.ApiSchema",
    "EXCEPTION_HANDLER": "helpdesk.api_errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.throttling.ApiUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": "20/min"},
}
# API rate limit ("N/s", "N/min", "N/hour", "N/day") per token or signed-in user; empty: none.
API_RATE_USER = os.environ.get("API_RATE_USER", "1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Help desk API",
    "DESCRIPTION": (
        "Everything an operator, manager or admin does in the browser: tickets, messages, "
        "customers, teams, agents, tags, canned responses, channels, rules, SLA policies, "
        "surveys, revenue events and metrics. Authenticate with `Authorization: Token <key>` "
        "(POST /api/auth/token/) or a browser session. Errors are "
        '`{"error": {"code", "message", "detail"}}`. See docs/api.md.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "PriorityEnum": "tickets.models.Priority",
        "ChannelKindEnum": "tickets.models.ChannelKind",
        "SurveyKindEnum": "metrics.models.SurveyKind",
        "MessageDeliveryStatusEnum": "tickets.models.DeliveryStatus",
        "WebhookDeliveryStatusEnum": "tickets.integrations.models.DeliveryStatus",
    },
}

# --- product settings -------------------------------------------------------------------
# Public base URL used to build webhook addresses shown to admins.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Largest webhook body accepted, in bytes (email with attachments needs room).
WEBHOOK_MAX_BODY = int(os.environ.get("WEBHOOK_MAX_BODY", str(25 * 1024 * 1024)))
# Per channel kind (bytes), checked from Content-Length and again while reading; a larger
# body is answered 413 before it is verified or parsed. WEBHOOK_MAX_BODY_<KIND> overrides.
WEBHOOK_MAX_BODY_BY_KIND = {
    kind: min(int(os.environ.get(f"WEBHOOK_MAX_BODY_{kind.upper()}", str(size))), WEBHOOK_MAX_BODY)
    for kind, size in {
        "telegram": 1024 * 1024,
        "whatsapp": 2 * 1024 * 1024,
        "generic": 10 * 1024 * 1024,
        "email": WEBHOOK_MAX_BODY,
    }.items()
}
# Mail bombs: limits on one inbound email. Past them the mail is still stored, with a note
# of what was dropped.
EMAIL_MAX_DEPTH = int(os.environ.get("EMAIL_MAX_DEPTH", "12"))
EMAIL_MAX_PARTS = int(os.environ.get("EMAIL_MAX_PARTS", "500"))
EMAIL_MAX_ATTACHMENTS = int(os.environ.get("EMAIL_MAX_ATTACHMENTS", "300"))
EMAIL_MAX_DECODED = int(os.environ.get("EMAIL_MAX_DECODED", str(40 * 1024 * 1024)))
# GET /metrics (Prometheus): `Authorization: Bearer <token>`; without a token set, only
# loopback and private addresses may scrape (docs/operations.md).
METRICS_TOKEN = os.environ.get("HELPDESK_METRICS_TOKEN", "")
DATA_UPLOAD_MAX_MEMORY_SIZE = WEBHOOK_MAX_BODY
# Attachments kept per inbound message, and the largest one kept (channels_in.attachment_limits).
ATTACHMENT_MAX_COUNT = int(os.environ.get("ATTACHMENT_MAX_COUNT", "300"))
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(25 * 1024 * 1024)))
# True when a proxy we control (deploy/nginx.conf) sets X-Real-IP; never trust it otherwise.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
OUTBOUND_MAX_ATTEMPTS = int(os.environ.get("OUTBOUND_MAX_ATTEMPTS", "6"))
OUTBOUND_TIMEOUT_SECONDS = float(os.environ.get("OUTBOUND_TIMEOUT_SECONDS", "10"))
# Outbound webhooks to CRM/BI (docs/webhooks.md): timeout of one POST, attempts per
# delivery, backoff (base doubles per attempt, capped, with jitter), and automatic disabling
# of a subscription once every attempt failed for N hours and at least M attempts in a row.
OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("OUTBOUND_WEBHOOK_TIMEOUT_SECONDS", "10"))
OUTBOUND_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("OUTBOUND_WEBHOOK_MAX_ATTEMPTS", "10"))
OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS = float(
    os.environ.get("OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS", "30")
)
OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS = float(
    os.environ.get("OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS", "21600")
)
OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES = int(
    os.environ.get("OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES", "20")
)
OUTBOUND_WEBHOOK_DISABLE_AFTER_HOURS = float(
    os.environ.get("OUTBOUND_WEBHOOK_DISABLE_AFTER_HOURS", "24")
)
# After a channel secret is rotated, the old one keeps verifying webhooks this long.
CHANNEL_SECRET_GRACE_SECONDS = int(os.environ.get("CHANNEL_SECRET_GRACE_SECONDS", "86400"))
# Link from the customer card to the customer in the CRM; {external_id} is replaced.
HELPDESK_CRM_CUSTOMER_URL = os.environ.get("HELPDESK_CRM_CUSTOMER_URL", "")

# --- security (production defaults) ------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# The CSRF cookie stays readable: htmx and the page scripts send it as X-CSRFToken.
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Sites allowed to frame the web-chat pages (/webchat/...), e.g. "https://shop.example.com";
# every other page refuses framing (Content-Security-Policy frame-ancestors 'none').
WEBCHAT_FRAME_ANCESTORS = env_list("WEBCHAT_FRAME_ANCESTORS", "")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
