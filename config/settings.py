"""Vendorwatch settings, read from the environment (twelve-factor).

With nothing set, the app runs self-contained for a newcomer: SQLite in ``var/`` and Celery
tasks executed eagerly in-process. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL and Redis. ``DJANGO_ENV=production`` turns on the hardened profile that passes
``manage.py check --deploy``.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)

if PRODUCTION:
    # No fallback: a production process must never run with a key that is in the repository.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY",
        default="dev-only-insecure-key-6b1d2f0e9c8a47b5a3e2d1c0b9a8f7e6d5c4b3a2918f7e6d",
    )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    # Sign-in (local passwords, OpenID Connect, SAML 2.0), second factors and the sessions page.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "allauth.usersessions",
    "django_countries",
    "listing",
    "vendors",
    "advisories",
    "orgs",
    "exposure",
    "audit",
    "notifications",
    "campaigns",
    "demo",
]

MIDDLEWARE = [
    "config.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "orgs.scoping.ReadingRequestMemo",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "orgs.signin.SecondFactorPolicyMiddleware",
    "orgs.signin.SingleSignOnErrorMiddleware",
    "orgs.signin.SignInFormActionMiddleware",
    # Axes must come last so that it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

if PRODUCTION:
    # gunicorn serves the static files itself in production (collected into STATIC_ROOT);
    # in development runserver does.
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "orgs.navigation.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'vendorwatch.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is the single-user quick-start database; WAL lets the eager tasks and the request
    # share it without "database is locked" errors.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # The inventory's covering index names extra columns for PostgreSQL's index-only scans;
    # SQLite builds the index without them, which is all the quick-start needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "orgs.backends.PlatformRoleBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# --- Sign-in: django-allauth ---------------------------------------------------------------
# One sign-in page for local passwords and single sign-on. Accounts are made by admins, by the
# demo loader or by an identity provider (just in time); nobody signs up by themselves.
ACCOUNT_ADAPTER = "orgs.signin.AccountAdapter"
# Single sign-on: a provider's people get an account at their first sign-in, and its rules
# (orgs.models.ProviderRule) are applied at every sign-in (orgs/sso.py).
SOCIALACCOUNT_ADAPTER = "orgs.sso.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
USERSESSIONS_ADAPTER = "orgs.signin.UserSessionsAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
# Sessions last SESSION_COOKIE_AGE, as before allauth; there is no "remember me" box.
ACCOUNT_SESSION_REMEMBER = True
# Lockout of local passwords stays with Axes (below); allauth's own counter would be a second.
ACCOUNT_RATE_LIMITS = False
# Second factors: authenticator apps (TOTP), security keys and passkeys, single-use recovery
# codes. In production, staff, advisory editors and global analysts must have one
# (orgs/signin.py leads them to enrolment); the quick start's demo logins sign in with
# passwords alone unless this is set.
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=PRODUCTION)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Security keys and passkeys (WebAuthn): a key set up as "passwordless" signs in on its own
# from the sign-in page's passkey button. Browsers offer WebAuthn on HTTPS and on localhost
# only; plain http is accepted (by allauth) where MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN is set,
# for development and the browser tests.
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)
# Issuing an API token and creating, changing or deleting a notification channel ask for the
# password (or the second factor) again unless it was given in the last
# ACCOUNT_REAUTHENTICATION_TIMEOUT seconds.
REAUTHENTICATE_SENSITIVE_ACTIONS = env.bool("REAUTHENTICATE_SENSITIVE_ACTIONS", default=True)
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("ACCOUNT_REAUTHENTICATION_TIMEOUT", default=300)
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Vendorwatch")

# Login lockout: five failures for one username from one address lock that pair for an hour.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# How many reverse proxies (each appending to X-Forwarded-For) stand in front of the app; 0
# means the peer address is the client and X-Forwarded-For is ignored, since clients forge it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# One way of writing dates on every page (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence of campaign attestations, outside the web root; only a view that applies the tenant
# rule reads it (campaigns/views.py).
CAMPAIGN_EVIDENCE_ROOT = env.path("CAMPAIGN_EVIDENCE_ROOT", default=VAR_DIR / "evidence")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": CAMPAIGN_EVIDENCE_ROOT},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# Uploads (inventory files, CSAF documents) are read into memory up to this size; larger bodies
# are refused by Django before a view sees them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Inventory imports (orgs/importers/): the largest file and the most rows one upload may hold,
# and the row count above which a file is applied by a Celery worker instead of while the
# upload waits.
INVENTORY_IMPORT_MAX_BYTES = env.int("INVENTORY_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
INVENTORY_IMPORT_MAX_ROWS = env.int("INVENTORY_IMPORT_MAX_ROWS", default=100_000)
INVENTORY_IMPORT_ASYNC_ROWS = env.int("INVENTORY_IMPORT_ASYNC_ROWS", default=2_000)
# Imports into one organization are applied one at a time; how long one waits for another.
INVENTORY_IMPORT_LOCK_TIMEOUT = env.int("INVENTORY_IMPORT_LOCK_TIMEOUT", default=20)

# Replacement campaigns (campaigns/): the largest evidence file and the most files one
# attestation takes (where they are kept: STORAGES["evidence"]).
CAMPAIGN_EVIDENCE_MAX_BYTES = env.int("CAMPAIGN_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
CAMPAIGN_EVIDENCE_MAX_FILES = env.int("CAMPAIGN_EVIDENCE_MAX_FILES", default=10)
# How often the campaigns' progress is sampled from the flags (a report for a past date reads
# the samples), and how many days before a milestone its reminder goes out.
CAMPAIGN_PROGRESS_MINUTES = env.float("CAMPAIGN_PROGRESS_MINUTES", default=10)
CAMPAIGN_REMINDER_DAYS = env.int("CAMPAIGN_REMINDER_DAYS", default=7)

# --- Security headers (on in every profile, so that tests see what production sends) -------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# No page uses a powerful browser feature but WebAuthn (security keys and passkeys, the app's
# own pages only); none may be used by anything it frames.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), picture-in-picture=(), publickey-credentials-create=(self), "
    "publickey-credentials-get=(self), screen-wake-lock=(), "
    "serial=(), usb=(), xr-spatial-tracking=()"
)

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Health probes come over plain HTTP from inside the deployment.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Cache ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Redis is optional for serving: with it down, the cache misses and falls through to the
# database (operations/cache.py), rate limits let requests through, and a call waits at most
# this long for it (an unreachable host, not only a refused connection).
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "operations.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Where the API's rate limits count requests (the `limits` library's storage URI): Redis when
# there is one, so that every process counts together; in-process otherwise.
API_RATE_LIMIT_STORAGE = env.str("API_RATE_LIMIT_STORAGE", default=REDIS_URL or "memory://")
API_RATE_LIMIT_PREFIX = "vendorwatch-rates"

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker configured: run tasks in-process so that `make run` needs nothing but Python.
# The test suite also runs eagerly by default; tests of asynchronous behaviour start a worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only after it finished, and given back to the queue if its worker
# dies, so that a crash never loses a match; the tasks are idempotent, so a redelivery is safe.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish must not hang when Redis is down: fail fast, the durable pending row covers it.
# ``max_retries: 0`` stops kombu retrying the connection before it gives up (with publish
# retries off it still spends seconds on that otherwise); workers reconnect by their own
# ``broker_connection_retry`` settings.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY = False
# The matcher's safety nets: the sweeper re-sends matching work still marked pending after
# MATCHING_SWEEP_MIN_AGE seconds (its task was lost to a broker outage or a crash); the full
# re-match rebuilds every organization's flags, in chunks of about MATCHING_CHUNK_ITEMS items.
MATCHING_SWEEP_SECONDS = env.float("MATCHING_SWEEP_SECONDS", default=30)
MATCHING_SWEEP_MIN_AGE = env.float("MATCHING_SWEEP_MIN_AGE", default=10)
MATCHING_FULL_REMATCH_HOURS = env.float("MATCHING_FULL_REMATCH_HOURS", default=24)
MATCHING_CHUNK_ITEMS = env.int("MATCHING_CHUNK_ITEMS", default=500_000)
# Long jobs (inventory imports, feed runs) stamp a heartbeat every JOB_HEARTBEAT_SECONDS while
# a worker runs them (operations/heartbeats.py). Every JOB_SWEEP_SECONDS a sweeper takes a job
# without one for JOB_STALE_SECONDS as having lost its worker: an import is queued again, up
# to JOB_MAX_ATTEMPTS tries, then failed with the reason; a feed run is closed as failed. A
# queued import that no worker claimed within JOB_STALE_SECONDS (its task was lost to a broker
# outage) is sent again.
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=10)
JOB_STALE_SECONDS = env.float("JOB_STALE_SECONDS", default=60)
JOB_SWEEP_SECONDS = env.float("JOB_SWEEP_SECONDS", default=30)
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=3)

# --- Outbound requests (outbound/) ---------------------------------------------------------
# Webhooks and feed downloads refuse loopback, private, link-local, multicast, reserved and
# unspecified addresses, in every IPv6 disguise (server-side request forgery); hosts listed
# here are exempt (an intranet relay or mirror). NOTIFICATIONS_ALLOWED_HOSTS is its old name.
OUTBOUND_ALLOWED_HOSTS = env.list(
    "OUTBOUND_ALLOWED_HOSTS", default=env.list("NOTIFICATIONS_ALLOWED_HOSTS", default=[])
)

# --- Notifications -------------------------------------------------------------------------
NOTIFICATIONS_CONNECT_TIMEOUT = env.float("NOTIFICATIONS_CONNECT_TIMEOUT", default=5)
NOTIFICATIONS_READ_TIMEOUT = env.float("NOTIFICATIONS_READ_TIMEOUT", default=10)
# A whole webhook request, however slowly the other side drips its answer.
NOTIFICATIONS_TOTAL_TIMEOUT = env.float("NOTIFICATIONS_TOTAL_TIMEOUT", default=30)
NOTIFICATIONS_RESPONSE_MAX_BYTES = env.int("NOTIFICATIONS_RESPONSE_MAX_BYTES", default=64 * 1024)
# A failed delivery is tried again after base, 2×base, 4×base… seconds, up to this many tries.
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=5)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.int("NOTIFICATIONS_RETRY_BASE_SECONDS", default=60)
# The hour (UTC) at which daily digests and overdue reminders go out.
NOTIFICATIONS_DAILY_HOUR = env.int("NOTIFICATIONS_DAILY_HOUR", default=7)
# Links in messages point here.
NOTIFICATIONS_BASE_URL = env.str("VENDORWATCH_BASE_URL", default="http://127.0.0.1:8000")

# A CSAF provider's documents (each with its hash and signature files) are downloaded by this
# many threads at once; imports stay one batch at a time, in the feed's order.
FEED_FETCH_CONCURRENCY = env.int("FEED_FETCH_CONCURRENCY", default=4)
if FEED_FETCH_CONCURRENCY < 1:
    raise ImproperlyConfigured("FEED_FETCH_CONCURRENCY must be 1 or more.")

# Our own advisories published as CSAF 2.0 (advisories/publishing/): who publishes them, and
# the OpenPGP secret key (ASCII-armored, or a path to a file holding it) that signs them.
CSAF_PUBLISHER_CATEGORY = env.str("CSAF_PUBLISHER_CATEGORY", default="coordinator")
CSAF_PUBLISHER_NAME = env.str("CSAF_PUBLISHER_NAME", default="Vendorwatch")
CSAF_PUBLISHER_NAMESPACE = env.str("CSAF_PUBLISHER_NAMESPACE", default=NOTIFICATIONS_BASE_URL)
CSAF_OPENPGP_SECRET_KEY = env.str("CSAF_OPENPGP_SECRET_KEY", default="")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "matching-sweep-pending": {
        "task": "exposure.sweep_pending",
        "schedule": MATCHING_SWEEP_SECONDS,
    },
    "inventory-imports-sweep": {
        "task": "orgs.import_jobs_sweep",
        "schedule": JOB_SWEEP_SECONDS,
    },
    "feed-runs-sweep": {
        "task": "advisories.feed_runs_sweep",
        "schedule": JOB_SWEEP_SECONDS,
    },
    "matching-full-rematch": {
        "task": "exposure.full_rematch",
        "schedule": timedelta(hours=MATCHING_FULL_REMATCH_HOURS),
    },
    # Every source with an enabled feed (CSAF provider, CISA KEV) is synced hourly; a run
    # fetches only what changed, so this is cheap when nothing did.
    "feeds-sync-enabled": {
        "task": "advisories.tasks.feeds_sync_enabled",
        "schedule": timedelta(hours=1),
    },
    # Notifications (notifications/): the dispatcher reads new flag events every minute (the
    # matcher also wakes it after each run); stalled deliveries are re-sent; digests and
    # overdue reminders go out daily; expired risk acceptances reopen their flags after
    # midnight, before the reminders run.
    "notifications-dispatch": {
        "task": "notifications.dispatch",
        "schedule": timedelta(minutes=1),
    },
    "notifications-resume-stalled": {
        "task": "notifications.resume_stalled",
        "schedule": timedelta(minutes=5),
    },
    "notifications-digests": {
        "task": "notifications.digests_close",
        "schedule": crontab(hour=NOTIFICATIONS_DAILY_HOUR, minute=0),
    },
    "notifications-overdue-reminders": {
        "task": "notifications.overdue_reminders",
        "schedule": crontab(hour=NOTIFICATIONS_DAILY_HOUR, minute=0),
    },
    "campaigns-reminders": {
        "task": "campaigns.reminders_send",
        "schedule": crontab(hour=NOTIFICATIONS_DAILY_HOUR, minute=10),
    },
    "campaigns-progress-record": {
        "task": "campaigns.progress_record",
        "schedule": timedelta(minutes=CAMPAIGN_PROGRESS_MINUTES),
    },
    "sla-risk-acceptances-expire": {
        "task": "notifications.risk_acceptances_expire",
        "schedule": crontab(hour=0, minute=5),
    },
}

# --- REST framework ------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Tokens first: their authenticator names a scheme, so a request without credentials gets
    # 401 with WWW-Authenticate rather than 403. No basic auth: passwords never travel per call.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orgs.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenAccessPermission",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "api.filters.StrictFilterBackend",
        "api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PagePagination",
    # Numbers stay numbers in JSON (a CVSS score is 7.5, not "7.5").
    "COERCE_DECIMAL_TO_STRING": False,
    # JSON in and out; the interactive documentation is Swagger UI at /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttles.AnonRateThrottle",
        # The user's limit and the token's, counted together.
        "api.throttles.ClientRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="2400/minute"),
        "token": env.str("API_THROTTLE_TOKEN", default="1200/minute"),
    },
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.VendorwatchAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# JSON request bodies (api/parsers.py): larger ones answer 413, deeper ones 400.
API_JSON_MAX_BYTES = env.int("API_JSON_MAX_BYTES", default=DATA_UPLOAD_MAX_MEMORY_SIZE)
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

SPECTACULAR_SETTINGS = {
    "TITLE": "Vendorwatch API",
    "DESCRIPTION": (
        "Vendor-risk advisories, organization inventories and the flags that join them.\n\n"
        "Authenticate with `Authorization: Bearer <token>`; tokens are issued at "
        "`/api/v1/tokens/` (from a signed-in session) or on the tokens page. Every list is "
        "limited to the organizations you may see, and an organization token to its "
        "organization; an object you may not see answers 404, like a missing one."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Descriptions come from the endpoints' and serializers' own docstrings, never from the
    # shared base classes (which describe the code, not the API).
    "GET_LIB_DOC_EXCLUDES": "api.schema.documentation_excludes",
    # Request and response bodies differ (read-only fields, write-only ids); separate
    # components describe each exactly.
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set where several models share a field name ("status") or a set.
    "ENUM_NAME_OVERRIDES": {
        "AdvisoryStatusEnum": "advisories.choices.AdvisoryStatus",
        "FlagStatusEnum": "exposure.choices.FlagStatus",
        "TriageStatusEnum": "exposure.triage.HUMAN_STATUS_CHOICES",
        "AdvisoryKindEnum": "advisories.choices.AdvisoryKind",
        "SourceKindEnum": "advisories.choices.SourceKind",
        "TargetKindEnum": "advisories.choices.TargetKind",
        "FlagEventKindEnum": "exposure.choices.FlagEventKind",
        "TokenStatusEnum": ["active", "expired", "revoked"],
        "SectorEnum": "vendors.choices.Sector",
        "CriticalityTierEnum": "vendors.choices.CriticalityTier",
        "SeverityEnum": "advisories.choices.Severity",
        "ChannelKindEnum": "notifications.choices.ChannelKind",
        "ChannelModeEnum": "notifications.choices.ChannelMode",
        "ImportModeEnum": "orgs.choices.ImportMode",
        "NotificationEventEnum": "notifications.choices.NotificationEvent",
        "DeliveryKindEnum": "notifications.choices.DeliveryKind",
        "DeliveryStatusEnum": "notifications.choices.DeliveryStatus",
        "CampaignStatusEnum": "campaigns.choices.CampaignStatus",
        "CampaignScopeEnum": "campaigns.choices.CampaignScope",
        "AttestationStatusEnum": "campaigns.choices.AttestationStatus",
        "MilestoneStateEnum": "campaigns.choices.MilestoneState",
    },
    # No calls to swagger.io's online validator: the CSP allows this origin only.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="vendorwatch@localhost")

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
