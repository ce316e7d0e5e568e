"""Palermo's one settings module. Everything that differs between deployments
comes from the environment, so the same code runs the laptop demo (SQLite) and
production (PostgreSQL) without edits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from palermo.core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent
# Where the embedded database and other runtime files live by default.
VAR_DIR = Path(os.environ.get("PALERMO_VAR_DIR", Path.cwd() / "var"))


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("PALERMO_DEBUG", False)
TESTING = _env_bool("PALERMO_TESTING", False)
# Set by `palermo demo` (and exercise instances): fictional data; the sign-in page lists the
# demo's logins (not in an exercise, whose participants get their own).
PALERMO_DEMO = _env_bool("PALERMO_DEMO", False)
# Django's technical error pages (URL patterns, settings, local variables): only for a developer
# who asks for them, and only with DEBUG on. The demo runs with DEBUG but shows Palermo's pages.
PALERMO_DEBUG_PAGES = DEBUG and _env_bool("PALERMO_DEBUG_PAGES", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING or _env_bool("PALERMO_DEMO"):
        # Demo and tests only: a fixed key is harmless where no real data lives.
        SECRET_KEY = "palermo-insecure-demo-key-never-use-in-production-0123456789"  # noqa: S105
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (50+ random characters), "
            "or run the demo with `palermo demo`."
        )

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Django's form widget templates, found through TEMPLATES so web/templates can override one.
    "django.forms",
    "django_htmx",
    "ninja",
    "axes",
    "palermo.core",
    "palermo.web",
    "palermo.screening",
    "palermo.cases",
    "palermo.stats",
    "palermo.investigate",
    # --- background jobs (see "Background jobs" below) ---
    "django_tasks",
    "django_tasks_db",
    "palermo.jobs",
    "palermo.monitor",
    "palermo.supply",
    "palermo.exercise",
    "palermo.prevent",
    "palermo.crossborder",
]

MIDDLEWARE = [
    # The request id and the log context, first so that every later line carries them.
    "palermo.core.logs.RequestContextMiddleware",
    # An exercise instance marks every download as training material (palermo.exercise).
    "palermo.exercise.middleware.TrainingExportMiddleware",
    # X-Forwarded-Proto only from a proxy in PALERMO_TRUSTED_PROXIES (palermo.core.client).
    "palermo.core.client.ForwardedProtoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's session middleware that pushes the idle expiry without a write per request.
    "palermo.core.sessions.IdleTimeoutSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "palermo.web.languages.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "palermo.core.middleware.ActiveOrganisationMiddleware",
    # NUL bytes, lone surrogates, invalid UTF-8 and oversized bodies: refused before any view (issue 11).
    "palermo.core.middleware.InputSafetyMiddleware",
    # Two-step sign-in: confines a session that still owes MFA to the enrolment pages.
    "palermo.core.mfa_views.MfaMiddleware",
    "palermo.core.middleware.PolicyMiddleware",
    "palermo.core.middleware.SecurityHeadersMiddleware",
    # Palermo's error pages instead of Django's technical ones, in the demo too (issue 15, item 9);
    # inside the headers middleware so its pages get the same headers.
    "palermo.web.errors.FriendlyErrorsMiddleware",
    # A service refusal no view caught: its status and the one error shape, audited ("Errors").
    "palermo.core.middleware.ErrorMiddleware",
    # Lock-out after repeated failed logins; must come last (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "palermo.urls"
# A refused form says why in words (issue 15, item 9).
CSRF_FAILURE_VIEW = "palermo.web.errors.csrf_failure"
WSGI_APPLICATION = "palermo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Palermo's own templates win over the admin's registration/* pages.
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "palermo.web.context.navigation",
                "palermo.web.context.languages",
                "palermo.exercise.context.training",
            ],
        },
    },
]

# Forms render through TEMPLATES, so web/templates/django/forms/widgets/select_option.html
# can say "— choose —" where Django would show "---------" (no dashes where a word belongs).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

_default_db = f"sqlite:///{VAR_DIR / 'palermo.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL lets the demo serve reads while a write is in progress.
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"].endswith("postgresql") and not _env_bool(
    "PALERMO_PG_JIT", False
):
    # Pages run short queries: PostgreSQL's JIT compiled each filtered case-list count for
    # ~20 ms to save less (measured at 1M cases, benchmarks/cases_latency.py). Off per
    # connection unless PALERMO_PG_JIT=1 (an analyst's long report may want it).
    _opts = DATABASES["default"].setdefault("OPTIONS", {})
    _opts["options"] = (str(_opts.get("options", "")) + " -c jit=off").strip()
AUTH_USER_MODEL = "core.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing cost is irrelevant to what tests check and dominates their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = None  # show "You have signed out." with a link back

# Lock-out: 5 failures lock the username+address pair for 30 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("PALERMO_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The reverse proxies in front of Palermo (comma-separated addresses or CIDR networks). Only
# when the direct peer is one of them is X-Forwarded-For believed, walked from the right
# (palermo.core.forwarded); empty, the default, means REMOTE_ADDR is the client. One function
# gives the address to the lock-out, the public pages' and the inbox's rate limits and the
# audit trail, so they all agree.
PALERMO_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("PALERMO_TRUSTED_PROXIES", "").split(",") if p.strip()
]
try:
    from palermo.core.forwarded import parse_networks

    parse_networks(PALERMO_TRUSTED_PROXIES)
except ValueError as _exc:
    raise ImproperlyConfigured(f"PALERMO_TRUSTED_PROXIES: {_exc}") from None
AXES_CLIENT_IP_CALLABLE = "palermo.core.client.client_address"

# Sessions end after 30 idle minutes: shared office computers are the norm in the field.
# The expiry is pushed by palermo.core.sessions at most once a minute, not by a session
# write on every request (SESSION_SAVE_EVERY_REQUEST), which cost every page a write.
SESSION_COOKIE_AGE = int(os.environ.get("PALERMO_SESSION_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# A second instance on the same host (the partner-country demo) keeps its own sign-in.
SESSION_COOKIE_NAME = os.environ.get("PALERMO_SESSION_COOKIE_NAME", "sessionid")
CSRF_COOKIE_NAME = os.environ.get("PALERMO_CSRF_COOKIE_NAME", "csrftoken")
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind TLS in production; the demo serves plain HTTP on 127.0.0.1.
_secure = not (DEBUG or TESTING or _env_bool("PALERMO_DEMO")) and _env_bool("PALERMO_HTTPS", True)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = _secure and _env_bool("PALERMO_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = 31536000 if _secure else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en"
# The languages Palermo is translated into; only those whose catalogue translates every
# msgid of locale/django.pot are offered and put on a page (palermo.web.i18n). A reader who
# asks for another gets English and a notice saying so (docs/translating.md).
from palermo.web.i18n import WANTED_LANGUAGES as _WANTED  # noqa: E402
from palermo.web.i18n import shipped_languages as _shipped  # noqa: E402

_LANGUAGE_NAMES = {
    "en": _("English"),
    "uk": _("Ukrainian"),
    "ru": _("Russian"),
    "fr": _("French"),
    "sq": _("Albanian"),
    "sr": _("Serbian"),
}
PALERMO_WANTED_LANGUAGES = [(code, _LANGUAGE_NAMES.get(code, name)) for code, name in _WANTED]
# The second tier (web/i18n.PUBLIC_LANGUAGES): complete for the public pages only. They are
# in LANGUAGES so that Django activates them there; UserLanguageMiddleware falls back to
# English (with the notice) on every other page, and the switcher offers them only there.
from palermo.web.i18n import public_languages as _public  # noqa: E402

PALERMO_PUBLIC_LANGUAGES = list(_public())
LANGUAGES = [
    *((code, _LANGUAGE_NAMES.get(code, name)) for code, name in _shipped()),
    *PALERMO_PUBLIC_LANGUAGES,
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as the reader's language writes them (templates use SHORT_DATE_FORMAT etc.); English
# day-month-year rather than Django's American default (palermo/formats/en).
FORMAT_MODULE_PATH = ["palermo.formats"]
# Not USE_THOUSAND_SEPARATOR: it would also group ids and years in templates ("2,026").
# Counts and amounts go through the |number filter (palermo.web.display.number) instead.
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("PALERMO_STATIC_ROOT", VAR_DIR / "static"))
if DEBUG or TESTING:
    # WhiteNoise serves from the finders here, but warns when the root is missing.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if (DEBUG or TESTING)
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "palermo@localhost")

# --- Exercise instance (palermo.exercise, docs/exercise.md) -----------------------------------
# Set (to the exercise's name) only by `palermo exercise serve|create`: the instance runs a
# simulation on its own database, shows a TRAINING banner everywhere, and sends nothing out.
# Without it, Palermo refuses to load a scenario or write any exercise data.
PALERMO_EXERCISE = os.environ.get("PALERMO_EXERCISE", "").strip()
if PALERMO_EXERCISE:
    # Never the configured mail server: messages are kept, marked TRAINING, for the direction.
    EMAIL_BACKEND = "palermo.exercise.outbound.TrainingEmailBackend"
# --- end exercise instance

# --- Field encryption at rest (docs/security.md, "Encryption at rest") -----------------------
# Identity documents, contacts, addresses, names, birth dates and free-text notes are sealed
# with keys from this file, kept outside the database (and outside its backups).
PALERMO_FIELD_KEYS_FILE = os.environ.get("PALERMO_FIELD_KEYS_FILE", "").strip() or None
# The demo and development create their own key file in VAR_DIR; production never does.
PALERMO_FIELD_KEYS_AUTOCREATE = bool(DEBUG or _env_bool("PALERMO_DEMO")) and not TESTING
if PALERMO_FIELD_KEYS_FILE is None and PALERMO_FIELD_KEYS_AUTOCREATE:
    PALERMO_FIELD_KEYS_FILE = str(VAR_DIR / "field-keys.json")
if PALERMO_FIELD_KEYS_FILE is None and not TESTING:
    # (Under the test suite, a fixed test key ring is used: palermo.core.encryption.)
    raise ImproperlyConfigured(
        "PALERMO_FIELD_KEYS_FILE is not set. Personal fields are encrypted at rest with keys kept "
        "outside the database: create a key file with `palermo keys generate --out /etc/palermo/field-keys.json`, "
        "set PALERMO_FIELD_KEYS_FILE to its path, and back it up apart from the database (docs/admin-guide.md)."
    )
if (
    PALERMO_FIELD_KEYS_FILE
    and not PALERMO_FIELD_KEYS_AUTOCREATE
    and not Path(PALERMO_FIELD_KEYS_FILE).is_file()
):
    raise ImproperlyConfigured(
        f"The field-encryption key file {PALERMO_FIELD_KEYS_FILE} (PALERMO_FIELD_KEYS_FILE) does not exist. "
        "Restore it from the key backup, or create a new one with `palermo keys generate` (a new key file "
        "cannot open data sealed with another)."
    )


# --- Bounded input (issue 11; docs/admin-guide.md "Import limits") -----------------------------
# Every importer reads its limits here (palermo.core.upload_limits.import_limits): a hostile or
# mistaken file costs bounded memory and time and is refused with a clear message.
def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    try:
        return int(raw) if raw else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


_MB = 1024 * 1024
PALERMO_IMPORT_LIMITS: dict[str, dict[str, int | float]] = {
    # HTCDS files and ODK/KoboToolbox exports (CSV, XLSX, JSON).
    "default": {
        "max_bytes": _env_int("PALERMO_IMPORT_MAX_MB", 20) * _MB,
        "max_unpacked_bytes": _env_int("PALERMO_IMPORT_MAX_UNPACKED_MB", 64) * _MB,
        "max_ratio": float(_env_int("PALERMO_IMPORT_MAX_RATIO", 100)),
        "max_rows": _env_int("PALERMO_IMPORT_MAX_ROWS", 50_000),
        "max_cell_chars": _env_int("PALERMO_IMPORT_MAX_CELL_CHARS", 10_000),
    },
    # Bank statements (CSV, camt.053 XML, AMLSim): an investigation may hold millions of payments.
    "statement": {
        "max_bytes": _env_int("PALERMO_STATEMENT_MAX_MB", 1024) * _MB,
        "max_rows": _env_int("PALERMO_STATEMENT_MAX_ROWS", 20_000_000),
        "max_cell_chars": _env_int("PALERMO_STATEMENT_MAX_CELL_CHARS", 4_000),
    },
    # CSV mapping profiles (YAML typed or sent as JSON).
    "profile": {
        "max_bytes": _env_int("PALERMO_PROFILE_MAX_KB", 64) * 1024,
        "max_rows": 500,  # columns and options of one profile
        "max_cell_chars": 1_000,
    },
}
# No request body may be larger than the largest upload accepted at its address (plus the form
# around it): refused with 413 from its Content-Length, before a byte is read. Statements (the
# largest uploads) are accepted only under the investigation paths.
PALERMO_REQUEST_MAX_BYTES = (
    max(int(v.get("max_bytes", 0)) for k, v in PALERMO_IMPORT_LIMITS.items() if k != "statement")
    + _MB
)
PALERMO_REQUEST_MAX_BYTES_BY_PREFIX = {
    prefix: int(PALERMO_IMPORT_LIMITS["statement"]["max_bytes"]) + _MB
    for prefix in ("/investigations/", "/api/v1/investigations/")
}
# Bodies other than files (JSON, form fields) are held in memory: 2.5 MB is plenty for any form.
DATA_UPLOAD_MAX_MEMORY_SIZE = _env_int("PALERMO_FORM_MAX_KB", 2560) * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 5
# Uploaded files above 2.5 MB are spooled to disk, in a private directory of the instance (they
# hold personal data), never the shared system temporary directory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2560 * 1024
FILE_UPLOAD_TEMP_DIR = str(Path(os.environ.get("PALERMO_UPLOAD_TMP_DIR", VAR_DIR / "upload-tmp")))
try:
    Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)
except OSError:  # a read-only instance directory (e.g. a one-off command): the system default
    FILE_UPLOAD_TEMP_DIR = None  # type: ignore[assignment]
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# `palermo serve`: seconds a worker may stay silent before gunicorn restarts it (long imports
# run as background jobs, so no request needs more).
PALERMO_WORKER_TIMEOUT = _env_int("PALERMO_WORKER_TIMEOUT", 60)
# --- end of bounded input ---------------------------------------------------------------------

# The audit trail can be switched off only for the benchmark that measures its cost.
PALERMO_AUDIT_ENABLED = _env_bool("PALERMO_AUDIT_ENABLED", True)

# --- Audit anchoring (docs/security.md, "Checkpoints"): key files and the checkpoint
# log live outside the database, ideally on another machine or a write-once store.
PALERMO_AUDIT_SIGNING_KEY = os.environ.get("PALERMO_AUDIT_SIGNING_KEY", "")  # Ed25519 PEM, mode 600
PALERMO_AUDIT_PUBLIC_KEY = os.environ.get("PALERMO_AUDIT_PUBLIC_KEY", "")
PALERMO_AUDIT_CHECKPOINT_LOG = os.environ.get("PALERMO_AUDIT_CHECKPOINT_LOG", "")
# --- end audit anchoring
# --- Multi-factor authentication and single sign-on (docs/admin-guide.md) ----------
# Roles whose holders (in any organisation) must use a second factor. Production
# default: co-ordinators, investigators, administrators. The laptop demo and the
# test suite default to none, so the fictional accounts sign in with a password only;
# setting the variable (even in the demo) always wins.
_mfa_default_roles = (
    ""
    if (DEBUG or TESTING or _env_bool("PALERMO_DEMO"))
    else "coordinator,investigator,administrator"
)
PALERMO_MFA_REQUIRED_ROLES = [
    r.strip()
    for r in os.environ.get("PALERMO_MFA_REQUIRED_ROLES", _mfa_default_roles).split(",")
    if r.strip()
]
# Name shown next to the account in authenticator apps.
PALERMO_MFA_ISSUER = os.environ.get("PALERMO_MFA_ISSUER", "Palermo")
# WebAuthn relying party: defaults to the host the browser used (checked by ALLOWED_HOSTS).
PALERMO_WEBAUTHN_RP_ID = os.environ.get("PALERMO_WEBAUTHN_RP_ID", "")
# OpenID Connect single sign-on; the button appears only when these two are set.
PALERMO_OIDC_DISCOVERY_URL = os.environ.get("PALERMO_OIDC_DISCOVERY_URL", "")
PALERMO_OIDC_CLIENT_ID = os.environ.get("PALERMO_OIDC_CLIENT_ID", "")
PALERMO_OIDC_CLIENT_SECRET = os.environ.get("PALERMO_OIDC_CLIENT_SECRET", "")
PALERMO_OIDC_SCOPES = os.environ.get("PALERMO_OIDC_SCOPES", "openid email profile")
PALERMO_OIDC_LABEL = os.environ.get("PALERMO_OIDC_LABEL", "")  # e.g. "State identity service"
# Link an unknown subject to the one active user with the same, IdP-verified e-mail.
PALERMO_OIDC_LINK_BY_EMAIL = _env_bool("PALERMO_OIDC_LINK_BY_EMAIL", False)
# The IdP's own MFA counts as Palermo's second factor only when its token says so
# with one of these `amr` values or `acr` levels (default: never trusted).
PALERMO_OIDC_TRUSTED_AMR = [
    v.strip() for v in os.environ.get("PALERMO_OIDC_TRUSTED_AMR", "").split(",") if v.strip()
]
PALERMO_OIDC_TRUSTED_ACR = [
    v.strip() for v in os.environ.get("PALERMO_OIDC_TRUSTED_ACR", "").split(",") if v.strip()
]
# --- end of MFA and SSO settings ----------------------------------------------------

# Structured logs with the request id, user id and organisation id, never personal data
# (core/logs.py, docs/architecture.md "Logging"): JSON lines in production, readable text in the
# demo and with DEBUG. PALERMO_LOG_FORMAT=json|text overrides; PALERMO_LOG_LEVEL (default INFO)
# sets Palermo's own level (third-party libraries log warnings and above).
_log_format = os.environ.get("PALERMO_LOG_FORMAT") or (
    "text" if DEBUG or TESTING or _env_bool("PALERMO_DEMO") else "json"
)
if _log_format not in {"json", "text"}:
    raise ImproperlyConfigured("PALERMO_LOG_FORMAT is 'json' or 'text'.")
LOGGING = logging_config(
    json_lines=_log_format == "json", level=os.environ.get("PALERMO_LOG_LEVEL", "INFO")
)

# --- Background jobs ----------------------------------------------------------------------------
# Long work (imports, red-flag runs) runs as jobs on django-tasks, queued in the database
# (django-tasks-db: SQLite or PostgreSQL, no broker) and run by `palermo worker`; `palermo demo`
# runs a worker thread beside its server. PALERMO_JOBS_BACKEND=immediate runs each job inside
# the request that starts it (the tests; never in production: that is what jobs are for).
_jobs_backend = os.environ.get("PALERMO_JOBS_BACKEND", "immediate" if TESTING else "database")
if _jobs_backend not in {"database", "immediate"}:
    raise ImproperlyConfigured("PALERMO_JOBS_BACKEND is 'database' or 'immediate'.")
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if _jobs_backend == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
# Live progress of running jobs, shared by web server and worker through VAR_DIR (which they
# already share for uploads and investigation workspaces). Tests keep it in memory.
# The default cache holds the rate-limit counters of the public pages and the cross-border
# inbox. It must be one store for every gunicorn worker: a per-process cache (locmem) would give
# each worker its own counters, multiplying every limit by the number of workers and resetting
# them on each restart. Redis (PALERMO_REDIS_URL) counts atomically and is shared by several
# hosts; without it the counters are files under VAR_DIR, shared by the workers of one host.
# Tests keep them in memory (one process per xdist worker) and clear them before each test.
_REDIS_URL = os.environ.get("PALERMO_REDIS_URL", "")
if TESTING and not _REDIS_URL:
    _default_cache: dict[str, Any] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
elif _REDIS_URL:
    _default_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _REDIS_URL,
        "KEY_PREFIX": "palermo",
    }
else:
    _default_cache = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("PALERMO_CACHE_DIR", str(VAR_DIR / "cache" / "default")),
        # Culling deletes a third of the entries once there are more than this: keep it far
        # above the number of clients counted in one window, so no live counter is dropped.
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    }
CACHES = {
    "default": _default_cache,
    "jobs": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "palermo-jobs"}
    if TESTING
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("PALERMO_JOBS_PROGRESS_DIR", str(VAR_DIR / "cache" / "jobs")),
    },
}
# Finished jobs (their reports may quote rejected rows of a user's file) are deleted after this
# many days by `palermo jobs prune` (daily cron, see the admin guide).
PALERMO_JOBS_RETENTION_DAYS = int(os.environ.get("PALERMO_JOBS_RETENTION_DAYS", "30"))
# A running job whose worker has not shown a sign of life for this many minutes is failed as
# "stopped" (`palermo jobs reap`; also when `palermo worker` starts and in `jobs prune`).
PALERMO_JOBS_STALE_MINUTES = int(os.environ.get("PALERMO_JOBS_STALE_MINUTES", "60"))

# Cross-border hand-over (palermo.crossborder, docs/crossborder.md): this instance's entity id
# (the URL partners know it by), its own key set (private JWKS; `palermo crossborder keys
# init` writes it) and the trust anchor keys the signed trust list must verify against.
CROSSBORDER_ENTITY_ID = os.environ.get("PALERMO_CROSSBORDER_ENTITY_ID", "http://localhost:8000")
CROSSBORDER_KEYS_FILE = os.environ.get(
    "PALERMO_CROSSBORDER_KEYS_FILE", str(VAR_DIR / "crossborder-keys.json")
)
CROSSBORDER_ANCHORS_FILE = os.environ.get(
    "PALERMO_CROSSBORDER_ANCHORS_FILE", str(VAR_DIR / "crossborder-anchors.json")
)
CROSSBORDER_LOOP_DAYS = int(os.environ.get("PALERMO_CROSSBORDER_LOOP_DAYS", "14"))


def _rate(name: str, default: str) -> tuple[int, int]:
    """``"60/60"`` → (60 requests, per 60 seconds)."""
    raw = os.environ.get(name, default).strip()
    try:
        count, seconds = (int(x) for x in raw.split("/"))
        if count < 1 or seconds < 1:
            raise ValueError
    except ValueError:
        raise ImproperlyConfigured(f"{name}: write it as REQUESTS/SECONDS, e.g. 60/60") from None
    return count, seconds


# Password-reset requests per client address (an IPv6 /64) and per e-mail address asked for,
# each per window; past either the form answers as usual and sends nothing
# (palermo.core.reset_limits).
PALERMO_PASSWORD_RESET_RATE_LIMITS = {
    "client": _rate("PALERMO_PASSWORD_RESET_PER_CLIENT", "10/3600"),
    "email": _rate("PALERMO_PASSWORD_RESET_PER_EMAIL", "3/3600"),
}

# Envelopes the public inbox takes per client address (an IPv6 /64), from all clients
# together (many addresses cannot add up to a flood), and per partner whose signature
# verified, each per window; over one the inbox answers 429 with Retry-After.
CROSSBORDER_INBOX_RATE_LIMITS = {
    "client": _rate("PALERMO_CROSSBORDER_INBOX_PER_CLIENT", "60/60"),
    "all": _rate("PALERMO_CROSSBORDER_INBOX_ALL", "600/60"),
    "sender": _rate("PALERMO_CROSSBORDER_INBOX_PER_PARTNER", "120/60"),
}


if PALERMO_EXERCISE:
    # An exercise instance holds fictional data and must not use the live instance's keys or
    # reach its partners, whatever the environment it was started from says (`palermo
    # exercise` drops these variables too): no audit checkpoint key or log (a training line in
    # the live checkpoint log, or one signed with the live key, would be indistinguishable),
    # cross-border keys and trust anchors of its own in its var dir (so envelopes real
    # partners encrypt to the live instance cannot be opened here, and nothing here is signed
    # as the live instance) under an entity id in the reserved .invalid domain, and a
    # field-key file in its own var dir.
    PALERMO_AUDIT_SIGNING_KEY = ""
    PALERMO_AUDIT_PUBLIC_KEY = ""
    PALERMO_AUDIT_CHECKPOINT_LOG = ""
    # No single sign-on with the live identity provider: its client secret stays out of a
    # training instance, and a trainee's state identity is never linked to a training account.
    PALERMO_OIDC_DISCOVERY_URL = PALERMO_OIDC_CLIENT_ID = PALERMO_OIDC_CLIENT_SECRET = ""
    CROSSBORDER_ENTITY_ID = f"https://{PALERMO_EXERCISE}.exercise.invalid"
    CROSSBORDER_KEYS_FILE = str(VAR_DIR / "exercise-crossborder-keys.json")
    CROSSBORDER_ANCHORS_FILE = str(VAR_DIR / "exercise-crossborder-anchors.json")
    # `palermo exercise` puts it in var/exercises/NAME/; anywhere else it may be the live one.
    _keys_dir = Path(PALERMO_FIELD_KEYS_FILE).resolve().parent if PALERMO_FIELD_KEYS_FILE else None
    if _keys_dir is not None and (_keys_dir.name, _keys_dir.parent.name) != (
        PALERMO_EXERCISE,
        "exercises",
    ):
        raise ImproperlyConfigured(
            "An exercise instance keeps its field-key file in its own directory "
            f"(exercises/{PALERMO_EXERCISE}/); start it with `palermo exercise serve`."
        )
