"""Django settings, built from the environment that :mod:`payproof.portal.setup` fills in.

One data folder (``PAYPROOF_PORTAL_DIR``) holds everything the portal writes: the SQLite
database (unless ``PAYPROOF_DATABASE_URL`` names PostgreSQL), the secret key, uploaded
photos (private: never served as static files), the SMS outbox and the ledger it appends
grievances to. Production runs these same settings under gunicorn behind a TLS proxy.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from csp.constants import NONE, SELF

from payproof.portal.dburl import database_config

DATA_DIR = Path(os.environ.get("PAYPROOF_PORTAL_DIR", "payproof-portal")).resolve()
PACKAGE_DIR = Path(__file__).resolve().parent
HTTP_ONLY_DEV = os.environ.get("PAYPROOF_PORTAL_HTTP") == "1"  # dev server on loopback


def _secret_key() -> str:
    if key := os.environ.get("PAYPROOF_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = False  # never: Django's debug pages would show personal data
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("PAYPROOF_ALLOWED_HOSTS", "localhost,127.0.0.1,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",  # helpers' second factor (an authenticator app)
    "csp",
    "django_ratelimit",
    "payproof.portal.apps.PortalConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "payproof.portal.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "payproof.portal.urls"
WSGI_APPLICATION = "payproof.portal.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "payproof.portal.views.common.portal_context",
            ]
        },
    }
]

DATABASES = {
    "default": database_config(os.environ.get("PAYPROOF_DATABASE_URL"), DATA_DIR / "portal.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Rows `portal load` holds in Python at once (Arrow batch, insert batch): memory bound.
PORTAL_LOAD_BATCH_ROWS = int(os.environ.get("PAYPROOF_LOAD_BATCH_ROWS", "20000"))
# DuckDB's memory during `portal load` (its sort spills to disk beyond it): the other bound.
PORTAL_LOAD_MEMORY_LIMIT = os.environ.get("PAYPROOF_LOAD_MEMORY_LIMIT", "256MB")

# Rate limits and OTP throttling must be shared by every gunicorn worker: a database cache.
# Its increments are not atomic: under a burst, a few requests beyond a limit can pass. With
# many workers, point PAYPROOF_REDIS_URL at Redis (Django's own backend, atomic INCR).
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["PAYPROOF_REDIS_URL"],
        }
        if os.environ.get("PAYPROOF_REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "payproof_portal_cache",
        }
    )
}
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "payproof.portal.views.common.rate_limited"
RATELIMIT_IP_META_KEY = os.environ.get("PAYPROOF_IP_HEADER") or None  # e.g. HTTP_X_REAL_IP

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 30 * 60  # a shared phone or a service-point PC: short sessions
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not HTTP_ONLY_DEV
CSRF_COOKIE_SECURE = not HTTP_ONLY_DEV
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "payproof.portal.views.common.csrf_failure"
LANGUAGE_COOKIE_SECURE = not HTTP_ONLY_DEV
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not HTTP_ONLY_DEV:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = os.environ.get("PAYPROOF_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "style-src": [SELF],
        "img-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}

LANGUAGE_CODE = "kk"
LANGUAGES = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR.parent / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Almaty"

# Uploaded bank statements: private folder, size and type limits (see forms.py).
PRIVATE_MEDIA = DATA_DIR / "uploads"
UPLOAD_MAX_BYTES = int(os.environ.get("PAYPROOF_UPLOAD_MAX_BYTES", 5 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_TEMP_DIR = None

# One-time codes: 6 digits, valid 5 minutes, 60 s between sends, doubling delays on failures.
OTP_CODE_VALID_SECONDS = 300
OTP_TOTP_ISSUER = "payproof"  # the name an authenticator app shows for a helper's key
OTP_COOLDOWN_SECONDS = int(os.environ.get("PAYPROOF_OTP_COOLDOWN", 60))
OTP_THROTTLE_FACTOR = int(os.environ.get("PAYPROOF_OTP_THROTTLE_FACTOR", 1))

# Rates: sign-in code requests and attempts, per IIN and per address; filing per address.
PORTAL_RATES = {
    "code_ip": os.environ.get("PAYPROOF_RATE_CODE_IP", "20/h"),
    "code_iin": os.environ.get("PAYPROOF_RATE_CODE_IIN", "5/h"),
    "verify_ip": os.environ.get("PAYPROOF_RATE_VERIFY_IP", "30/h"),
    "verify_iin": os.environ.get("PAYPROOF_RATE_VERIFY_IIN", "10/h"),
    "file_ip": os.environ.get("PAYPROOF_RATE_FILE_IP", "20/h"),
    "follow_ip": os.environ.get("PAYPROOF_RATE_FOLLOW_IP", "30/h"),
    "helper_ip": os.environ.get("PAYPROOF_RATE_HELPER_IP", "20/h"),
}

# The SMS sender: console (prints), file (an outbox folder), or http (a gateway).
SMS_BACKEND = os.environ.get("PAYPROOF_SMS", "file")
SMS_OUTBOX = Path(os.environ.get("PAYPROOF_SMS_OUTBOX", DATA_DIR / "outbox"))
SMS_HTTP_URL = os.environ.get("PAYPROOF_SMS_URL", "")
SMS_HTTP_TOKEN = os.environ.get("PAYPROOF_SMS_TOKEN", "")

LEDGER_DIR = Path(os.environ.get("PAYPROOF_LEDGER_DIR", DATA_DIR / "ledger"))
LEDGER_KEY = Path(os.environ.get("PAYPROOF_LEDGER_KEY", DATA_DIR / "keys" / "ledger.key"))

LOGIN_URL = "portal:signin"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# No personal data in logs: requests are not logged with bodies, errors go to stderr
# without the request (Django's default mail_admins handler is dropped).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "payproof.portal.middleware.RedactFilter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "filters": ["redact"]},
    },
    "loggers": {
        "django": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "payproof.portal": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
