"""Settings for the talent CRM, read from typed environment variables.

Development works with no environment at all. With DEBUG off (production) unsafe defaults are
refused and `manage.py check --deploy` is clean.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
TESTING = env_bool("TESTING", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-do-not-use-in-production-0123456789"  # noqa: S105 (refused when DEBUG is off)
SECRET_KEY = env_str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
    )
# Earlier secret keys, comma-separated, while rotating: signed links, sessions and the stored
# secrets of accounts/crypto.py made with them are still read (new ones use SECRET_KEY).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", default=[])

# Tenants live at <tenant>.<BASE_DOMAIN>; the public site (landing page, platform admin) at
# BASE_DOMAIN itself.
BASE_DOMAIN = env_str("BASE_DOMAIN", default="localhost")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=[BASE_DOMAIN, f".{BASE_DOMAIN}"])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must not be empty when DEBUG is off.")
# Scheme and port used when building absolute links for emails (opt-in, unsubscribe).
SITE_SCHEME = env_str("SITE_SCHEME", default="http" if DEBUG else "https")
SITE_PORT = env_str("SITE_PORT", default="8000" if DEBUG else "")

# --- Applications -------------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",
]
# Auth, sessions, sign-in failures, second factors and tags live in each tenant's schema: a user
# of tenant A does not exist for tenant B. The public schema keeps its own users for platform
# operators.
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "accounts",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "taggit",
    "candidates",
    "mailing",
    "consent",
    "pools",
    "feedback",
    "campaigns",
    "integrations",
    "demo",
]
# ninja (the REST API framework) has no models: listed for its templates and Swagger UI assets.
INSTALLED_APPS = list(dict.fromkeys(SHARED_APPS + TENANT_APPS + ["anymail", "ninja"]))

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenants"
# New tenants are cloned from this template schema (measured faster than migrating; see
# bench/bench_provisioning.py). `tenant_template_refresh` rebuilds it after migrations.
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = env_bool("TENANT_CLONE_FROM_TEMPLATE", default=True)
# Issue `SET search_path` only when the schema changes, not before every query (halves round
# trips). Safe with this django-tenants version: rollback and savepoint rollback (which revert a
# SET in PostgreSQL) forget the cached path, and set_tenant() always resets it.
TENANT_LIMIT_SET_CALLS = env_bool("TENANT_LIMIT_SET_CALLS", default=True)

MIDDLEWARE = [
    # First: an oversized body is refused before anything (tenant lookup included) runs.
    "config.limits.RequestBodyLimitMiddleware",
    # Before the tenant lookup, so even an unknown host's 404 carries the policy.
    "config.security.CSPMiddleware",
    "tenants.middleware.TenantHostMiddleware",
    # The tenant's time zone for the whole request, always deactivated at its end.
    "tenants.middleware.TenantLocaleMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in person's language (else the company's), always deactivated at the end.
    "accounts.middleware.StaffLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "config.middleware.RequestLogContextMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGE_CODE for <html lang>: the language active while the page renders.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant_branding",
                "accounts.navigation.nav_section",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- Database -----------------------------------------------------------------------------------
_DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/talentcrm"
DATABASE_URL = env_str("DATABASE_URL", default=_DEFAULT_DATABASE_URL if DEBUG else "")
if not DATABASE_URL:
    raise ImproperlyConfigured("Set DATABASE_URL (postgres://user:password@host:port/name).")
try:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if _db.get("ENGINE") != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://…).")
_db["ENGINE"] = "django_tenants.postgresql_backend"
_db["CONN_HEALTH_CHECKS"] = True
_db["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME", default=f"test_{_db['NAME']}")}
DATABASES = {"default": _db}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results ----------------------------------------------------
REDIS_URL = env_str("REDIS_URL", default="redis://127.0.0.1:6379/0" if DEBUG else "")
if not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("Set REDIS_URL (redis://host:port/db).")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key is prefixed with the current schema, so tenants never read each other's cache.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "KEY_PREFIX": "talentcrm",
    }
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Longest countdown/ETA we use (delayed rejection emails) is 24 h; the visibility timeout must
# exceed it or Redis redelivers the task while it is still waiting.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 26 * 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "worker-heartbeat": {"task": "tenants.tasks.heartbeat_dispatch_task", "schedule": 300.0},
    # Each run plans only who is due inside a send window; re-runs never double an email.
    "nurture-planner": {"task": "campaigns.tasks.nurture_dispatch_task", "schedule": 900.0},
    "campaigns-scheduled": {
        "task": "campaigns.tasks.campaigns_due_dispatch_task",
        "schedule": 60.0,
    },
    # Restarts candidate imports whose worker died; they continue from their saved cursor.
    "candidates-import-sweep": {
        "task": "candidates.tasks.import_jobs_sweep_dispatch_task",
        "schedule": 120.0,
    },
    # Re-enqueues mail left queued (broker lost) or stuck in a dead worker's lease.
    "mailing-outbox-sweep": {
        "task": "mailing.tasks.outbox_sweep_dispatch_task",
        "schedule": 60.0,
    },
    # Outbound webhooks left behind (lost kick, lost retry task); old idempotency records.
    "integrations-sweep": {
        "task": "integrations.tasks.integrations_sweep_dispatch_task",
        "schedule": 60.0,
    },
    # GDPR retention per tenant: renewal emails, consent expiry, anonymisation.
    "consent-retention": {
        "task": "consent.tasks.retention_dispatch_task",
        "schedule": 24 * 3600.0,
    },
}

# --- Auth ---------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 3600

# Failed password sign-ins (accounts/lockout.py), counted per tenant over a sliding window:
# an (account, address) pair is locked after SIGNIN_FAILURE_LIMIT failures, an address after
# SIGNIN_ADDRESS_LIMIT failures across accounts; past SIGNIN_SLOWDOWN_AFTER failures an account
# is slowed down (a growing wait between attempts, at most SIGNIN_SLOWDOWN_MAX_SECONDS) for
# browsers it has not signed in from, never locked, so a stranger cannot lock a colleague out.
SIGNIN_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
SIGNIN_ADDRESS_LIMIT = env_int("SIGNIN_ADDRESS_LIMIT", 30)
SIGNIN_LOCK_MINUTES = env_int("SIGNIN_LOCK_MINUTES", 30)
SIGNIN_SLOWDOWN_AFTER = env_int("SIGNIN_SLOWDOWN_AFTER", 10)
SIGNIN_SLOWDOWN_MAX_SECONDS = env_int("SIGNIN_SLOWDOWN_MAX_SECONDS", 60)
# Proxies in front of the app: only behind them is X-Forwarded-For trusted. Without one, a client
# writes that header itself and could dodge the per-address lock with a new value every time.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
CLIENT_IP_HEADERS = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXY_COUNT else ["REMOTE_ADDR"]
)

# Two-factor sign-in (django-otp: authenticator apps, recovery codes; django-otp-webauthn:
# passkeys). Codes are throttled per device: each failure doubles the wait before the next try.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Passkeys are a second factor after the password, never passwordless (that would skip the
# lockout and "single sign-on only"). The relying party is each tenant's own host and name; the
# allowed origins below only satisfy the library's start-up check, the helper uses the tenant's.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.passkeys.TenantWebAuthnHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "accounts.passkeys.relying_party_id"
OTP_WEBAUTHN_RP_NAME_CALLABLE = "accounts.passkeys.relying_party_name"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    f"{SITE_SCHEME}://{BASE_DOMAIN}" + (f":{SITE_PORT}" if SITE_PORT else "")
]
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "accounts.passkeys"
# Single sign-on: the issuer an HR admin enters must be https in production (the server fetches
# its discovery document and keys); plain http is allowed only while developing and testing.
SSO_ALLOW_HTTP_ISSUER = env_bool("SSO_ALLOW_HTTP_ISSUER", default=DEBUG)
SSO_HTTP_TIMEOUT_SECONDS = env_int("SSO_HTTP_TIMEOUT_SECONDS", 10)

# --- Email --------------------------------------------------------------------------------------
# Development and tests store mail in memory (anymail's test backend keeps ESP semantics: message
# ids, merge_data, tracking); production names a real ESP backend, e.g.
# anymail.backends.postmark.EmailBackend, with its ANYMAIL_* keys.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", default="anymail.backends.test.EmailBackend" if DEBUG else ""
)
if not EMAIL_BACKEND:
    raise ImproperlyConfigured(
        "Set EMAIL_BACKEND when DEBUG is off: an anymail ESP backend "
        "(e.g. anymail.backends.postmark.EmailBackend), or "
        "django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST/EMAIL_PORT."
    )
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    "POSTMARK_SERVER_TOKEN": env_str("POSTMARK_SERVER_TOKEN", default=""),
    "MAILGUN_API_KEY": env_str("MAILGUN_API_KEY", default=""),
    "MAILGUN_SENDER_DOMAIN": env_str("MAILGUN_SENDER_DOMAIN", default=""),
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("MAILGUN_WEBHOOK_SIGNING_KEY", default=""),
    "SENDGRID_API_KEY": env_str("SENDGRID_API_KEY", default=""),
    "POSTMARK_API_URL": env_str("POSTMARK_API_URL", default="https://api.postmarkapp.com/"),
    "WEBHOOK_SECRET": env_str(
        "ANYMAIL_WEBHOOK_SECRET", default="dev-webhook-user:dev-webhook-password" if DEBUG else ""
    ),
}
if not DEBUG and not ANYMAIL["WEBHOOK_SECRET"]:
    raise ImproperlyConfigured("Set ANYMAIL_WEBHOOK_SECRET (user:password) when DEBUG is off.")
# What each supported ESP needs in production: its API credential, and the key its webhooks are
# signed with where it signs them (without it anyone could post forged bounces and complaints;
# anymail would check Mailgun's signature with an empty key). Postmark does not sign: its
# webhooks are authenticated by ANYMAIL_WEBHOOK_SECRET alone. SendGrid's tracking webhook is not
# routed (anymail dropped SendGrid), so it needs only its API key.
ESP_REQUIRED_SETTINGS = {
    "postmark": ["POSTMARK_SERVER_TOKEN"],
    "mailgun": ["MAILGUN_API_KEY", "MAILGUN_WEBHOOK_SIGNING_KEY"],
    "sendgrid": ["SENDGRID_API_KEY"],
}
if not DEBUG:
    if ":" not in ANYMAIL["WEBHOOK_SECRET"] or ANYMAIL["WEBHOOK_SECRET"].startswith("dev-webhook"):
        raise ImproperlyConfigured(
            "ANYMAIL_WEBHOOK_SECRET must be user:password with a random password when DEBUG is off."
        )
    if EMAIL_BACKEND.startswith("anymail.backends."):
        _esp = EMAIL_BACKEND.split(".")[2]
        if _esp not in ESP_REQUIRED_SETTINGS:
            raise ImproperlyConfigured(
                f"EMAIL_BACKEND {EMAIL_BACKEND} is not supported in production; use "
                + ", ".join(f"anymail.backends.{n}.EmailBackend" for n in ESP_REQUIRED_SETTINGS)
                + " or django.core.mail.backends.smtp.EmailBackend."
            )
        for _name in ESP_REQUIRED_SETTINGS[_esp]:
            if not ANYMAIL[_name].strip():
                raise ImproperlyConfigured(f"Set {_name}: EMAIL_BACKEND uses {_esp}.")

# Outbox dispatch (mailing/dispatch.py explains the exactly-once rules). A worker owns a claimed
# message for MAILING_LEASE_SECONDS and renews it every quarter of that while it lives; a dead
# worker's messages are taken over once it lapses.
MAILING_LEASE_SECONDS = env_int("MAILING_LEASE_SECONDS", 5)
MAILING_MAX_ATTEMPTS = env_int("MAILING_MAX_ATTEMPTS", 8)
MAILING_RETRY_BASE_SECONDS = env_int("MAILING_RETRY_BASE_SECONDS", 30)
# Messages claimed at once when each goes out in its own ESP call (a batch claims a full batch).
MAILING_CLAIM_SIZE = env_int("MAILING_CLAIM_SIZE", 100)
MAILING_DISPATCH_BUDGET_SECONDS = env_int("MAILING_DISPATCH_BUDGET_SECONDS", 20)
# ESP calls in flight at once per dispatcher (threads: the calls wait on the network).
MAILING_SEND_CONCURRENCY = env_int("MAILING_SEND_CONCURRENCY", 8)
# Dispatchers (Celery tasks, each claiming its own messages) per tenant when the backlog is large.
MAILING_DISPATCHERS_PER_TENANT = env_int("MAILING_DISPATCHERS_PER_TENANT", 4)
# Messages per second (0 = unlimited), shared by all workers through Redis token buckets.
MAILING_RATE_PER_TENANT = env_int("MAILING_RATE_PER_TENANT", 50)
MAILING_RATE_GLOBAL = env_int("MAILING_RATE_GLOBAL", 200)
MAILING_RATE_BURST_SECONDS = 2
# Batch sending (mailing/esp.py, BATCH_STYLES): nurture mail goes out many recipients per ESP
# call by default where the ESP substitutes on the fly (Mailgun, SparkPost). Postmark, SendGrid
# and Amazon SES substitute only into a template stored on their side: name it here (a
# pass-through template, see README) to batch there too. Each ESP's documented limit applies;
# MAILING_BATCH_LIMITS can only lower it (e.g. {"mailgun": 1} turns batching off).
MAILING_BATCH_TEMPLATE = env_str("MAILING_BATCH_TEMPLATE", default="")
MAILING_BATCH_LIMITS: dict[str, int] = {}
# For the records of processing (Art. 30): transfers of personal data outside the EEA and their
# safeguard, e.g. "Postmark: United States, EU-US Data Privacy Framework". Empty = not declared
# (the records page says so).
PRIVACY_TRANSFERS = env_str("PRIVACY_TRANSFERS", default="")

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("it", "Italiano")]
# The candidate catalogue; each app's staff catalogue is in <app>/locale, found by Django itself
# (config/catalogues.py lists them all; `make` compiles them).
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates and times in the European way (config/formats/en); the others are Django's.
FORMAT_MODULE_PATH = ["config.formats"]
# The server's zone; every request, task, email and PDF shows times in the tenant's zone
# (tenants.i18n, TenantLocaleMiddleware).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMS_URLFIELD_ASSUME_HTTPS = True

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media")))
MEDIA_URL = "/media/"
# Uploaded files go under MEDIA_ROOT/<schema>/…; they are served only through views that check
# the tenant and the user, never directly.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Uploaded import files (every row's name, email, phone...) and the details of their errors are
# deleted this many days after the import finished; the counts stay.
IMPORT_FILE_RETENTION_DAYS = env_int("IMPORT_FILE_RETENTION_DAYS", 14)
# A request body larger than this is refused with 413 before a byte of it is read (see
# config/limits.py): the largest upload plus room for the form's other fields and boundaries.
MAX_REQUEST_BYTES = env_int("MAX_REQUEST_BYTES", MAX_UPLOAD_BYTES + 1024 * 1024)
if MAX_REQUEST_BYTES < MAX_UPLOAD_BYTES:
    raise ImproperlyConfigured("MAX_REQUEST_BYTES must be at least MAX_UPLOAD_BYTES.")
# Imports: rows per file, and what an XLSX (a zip) may unpack to, checked from the zip's
# declared sizes before anything is decompressed (a 350 KB file can unpack to 100 MB).
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 50 * 1024 * 1024)

# --- Work done in the request, up to a size -----------------------------------------------------
# Fact changes (edits, imports) touching at most this many candidates re-run the tagging rules in
# the request; larger sets go to the worker in chunks (pools/services.py).
POOLS_RULES_SYNC_LIMIT = env_int("POOLS_RULES_SYNC_LIMIT", 500)
# Saving a rule applies it in the request up to this many candidates (about a second, measured
# in bench/bench_pools.py); beyond, a background re-apply with progress is started instead.
POOLS_RULE_SAVE_SYNC_CANDIDATES = env_int("POOLS_RULE_SAVE_SYNC_CANDIDATES", 50_000)
# Hand tagging a pool's members writes a timeline entry per candidate in the request; beyond
# this many, the page asks for a tagging rule instead (set-based, in the background).
POOLS_BULK_TAG_MAX = env_int("POOLS_BULK_TAG_MAX", 10_000)
# Bulk rejections of up to this many applications run in the request; larger ones on the worker.
FEEDBACK_BULK_SYNC_LIMIT = env_int("FEEDBACK_BULK_SYNC_LIMIT", 100)

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (config/security.py): scripts only with the page's nonce, styles only
# from our stylesheets, nothing from other hosts, no framing except our own email previews.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [NONCE],
        "style-src": [SELF],
        # data: for the icons Pico CSS draws in its stylesheet.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Django's admin (platform operators only, public host only) loads its scripts without our
# nonce, and django-tenants' admin index colours its tables with inline styles. Its scripts are
# same-origin files (none inline, no eval); inline styles are tolerated there and nowhere else.
CSP_ADMIN_DIRECTIVES = {"script-src": [SELF], "style-src": [SELF, UNSAFE_INLINE]}
# Browser features the product does not use are off; passkeys (WebAuthn) stay on our own origin.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "accelerometer": [],
    "autoplay": [],
    "camera": [],
    "display-capture": [],
    "fullscreen": ["self"],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "midi": [],
    "payment": [],
    "publickey-credentials-get": ["self"],
    "screen-wake-lock": [],
    "serial": [],
    "usb": [],
    "browsing-topics": [],
}
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed by the load balancer over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Logging ------------------------------------------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", default="console" if DEBUG else "json")
LOG_LEVEL = env_str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.logging.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(schema)s %(request_id)s",
        },
        "console": {"format": "%(asctime)s %(levelname)s [%(schema)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "default": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["default"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every rendering step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Integrations (REST API, ATS webhooks, outbound webhooks, replies) --------------------------
# Requests per minute per API key (token bucket in Redis, shared by every web process); 0 = off.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
API_RATE_LIMIT_BURST = env_int("API_RATE_LIMIT_BURST", 120)
# Answers to POSTs with an Idempotency-Key are replayed for this long.
API_IDEMPOTENCY_HOURS = 24
# Storage limitation (integrations/privacy.py, run by the daily retention): webhook events with
# their delivery logs, ATS event payloads once applied or ignored, and replies once matched (the
# timeline keeps them) or dismissed are deleted this many days on; ATS events and replies still
# waiting for review this many days later are given up and their content deleted.
INTEGRATIONS_LOG_RETENTION_DAYS = env_int("INTEGRATIONS_LOG_RETENTION_DAYS", 30)
INTEGRATIONS_REVIEW_RETENTION_DAYS = env_int("INTEGRATIONS_REVIEW_RETENTION_DAYS", 90)
# Outbound webhooks: seconds between attempts (the last gap repeats) until the event is
# WEBHOOK_MAX_AGE_HOURS old; then the delivery fails and the subscription is disabled.
WEBHOOK_RETRY_SCHEDULE = [
    int(v)
    for v in env_list(
        "WEBHOOK_RETRY_SCHEDULE",
        default=["5", "30", "120", "600", "1800", "3600", "7200", "14400", "28800"],
    )
]
WEBHOOK_MAX_AGE_HOURS = env_int("WEBHOOK_MAX_AGE_HOURS", 24)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
# Receivers on private, loopback or link-local addresses are refused (after DNS resolution, when
# the subscription is saved and again at every delivery) unless this is on: for development
# (a receiver on localhost) and the tests that run one; refused when DEBUG is off.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
if not DEBUG and WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
    raise ImproperlyConfigured(
        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is for development: it would let webhooks reach "
        "internal services."
    )
# Replies: outgoing mail gets Reply-To reply+<token>@<this domain>; "{schema}" is replaced by
# the tenant's schema (e.g. "{schema}.replies.example.com", with MX records pointing at the
# ESP's inbound service and its inbound webhook at https://<tenant host>/integrations/inbound/
# <esp>/). Empty: no Reply-To (replies are still matched by In-Reply-To).
# The tenant's own Reply-To (sender identity) stays in the header beside it, so their mailbox
# still gets replies. Off by default: it needs the domain's MX records pointed at the ESP.
REPLIES_DOMAIN = env_str("REPLIES_DOMAIN", default="")

# --- Product defaults ---------------------------------------------------------------------------
DEMO_TENANT_SCHEMA = "demo"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
