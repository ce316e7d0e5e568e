"""Palermo's one settings module. Everything that differs between deployments
comes from the environment, so the same code runs the laptop demo (SQLite) and
production (PostgreSQL) without edits."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
# Where the embedded database and other runtime files live by default.
VAR_DIR = Path(os.environ.get("PALERMO_VAR_DIR", Path.cwd() / "var"))


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("PALERMO_DEBUG", False)
TESTING = _env_bool("PALERMO_TESTING", False)
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
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
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
    "django_htmx",
    "ninja",
    "axes",
    "palermo.core",
    "palermo.web",
    "palermo.screening",
    "palermo.cases",
    "palermo.stats",
    "palermo.investigate",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "palermo.core.middleware.ActiveOrganisationMiddleware",
    "palermo.core.middleware.PolicyMiddleware",
    "palermo.core.middleware.SecurityHeadersMiddleware",
    # Palermo's error pages instead of Django's technical ones, in the demo too (issue 15, item 9);
    # inside the headers middleware so its pages get the same headers.
    "palermo.web.errors.FriendlyErrorsMiddleware",
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
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'palermo.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db), conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL lets the demo serve reads while a write is in progress.
    DATABASES["default"]["OPTIONS"].update({"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
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

# Sessions end after 30 idle minutes: shared office computers are the norm in the field.
SESSION_COOKIE_AGE = int(os.environ.get("PALERMO_SESSION_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
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
LANGUAGES = [("en", _("English")), ("fr", _("French")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
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
    "django.core.mail.backends.console.EmailBackend" if (DEBUG or TESTING) else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "palermo@localhost")

# The audit trail can be switched off only for the benchmark that measures its cost.
PALERMO_AUDIT_ENABLED = _env_bool("PALERMO_AUDIT_ENABLED", True)

# --- Audit anchoring (docs/security.md, "Checkpoints"): key files and the checkpoint
# log live outside the database, ideally on another machine or a write-once store.
PALERMO_AUDIT_SIGNING_KEY = os.environ.get("PALERMO_AUDIT_SIGNING_KEY", "")  # Ed25519 PEM, mode 600
PALERMO_AUDIT_PUBLIC_KEY = os.environ.get("PALERMO_AUDIT_PUBLIC_KEY", "")
PALERMO_AUDIT_CHECKPOINT_LOG = os.environ.get("PALERMO_AUDIT_CHECKPOINT_LOG", "")
# --- end audit anchoring

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # Request paths carry only pseudonymous ids, so the request log is safe to keep.
    "root": {"handlers": ["console"], "level": os.environ.get("PALERMO_LOG_LEVEL", "WARNING")},
}
