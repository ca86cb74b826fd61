"""The one settings module. Every value comes from the environment (see README, "Settings").

Defaults are safe for development; `myprescriptions.safety` refuses to start a production
configuration (DEBUG off) that still carries development values.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from psycopg_pool import ConnectionPool

from myprescriptions.hardening.logs import logging_config
from myprescriptions.safety import DEV_SECRET_KEY, env_bool, env_list, refuse_unsafe_production

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
TEST_IDP = env_bool("TEST_IDP", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "my.prescriptions.test"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
ADMIN_ENABLED = env_bool("ADMIN_ENABLED", False)
ADMIN_PATH = os.environ.get("ADMIN_PATH", "operator-console/").strip("/") + "/"

refuse_unsafe_production(debug=DEBUG, secret_key=SECRET_KEY, test_idp=TEST_IDP)

INSTALLED_APPS = [
    "myprescriptions.accounts",
    "myprescriptions.site",
    "prescriptions",
    "proxies",
    "myprescriptions.hardening",
    # django.contrib.admin with our operator console as admin.site (see myprescriptions.hardening).
    "myprescriptions.hardening.apps.OperatorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "myprescriptions.saml",
]
if TEST_IDP:
    INSTALLED_APPS.append("myprescriptions.testidp")
# The benchmark's baseline page (`make bench`); never needed in production.
BENCHMARK = env_bool("BENCHMARK", False)
if BENCHMARK:
    INSTALLED_APPS.append("myprescriptions.benchsite")

MIDDLEWARE = [
    # First: every log line of the request carries its id.
    "myprescriptions.hardening.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "myprescriptions.saml.shibboleth.UntrustedHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that can fail on the database, so error pages get the headers too.
    "myprescriptions.hardening.headers.SecurityHeadersMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's LocaleMiddleware, but the language cookie counts only with consent.
    "myprescriptions.site.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Before the session limits and the subject: from the closing date every session ends here.
    "myprescriptions.site.middleware.ClosedModeMiddleware",
    "myprescriptions.accounts.middleware.SessionLimitsMiddleware",
    "proxies.middleware.SubjectMiddleware",
    "proxies.middleware.AccessRuleMiddleware",
]

ROOT_URLCONF = "myprescriptions.urls"
WSGI_APPLICATION = "myprescriptions.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "myprescriptions.site.context_processors.site",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        # A kept connection that broke while the database was away is replaced, not reused.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# psycopg's connection pool, one per gunicorn worker process, shared by its threads: connections
# per node = workers x DB_POOL_MAX_SIZE, however many threads. It replaces persistent connections.
DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "0"))
if DB_POOL_MAX_SIZE > 0 and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_MAX_SIZE),
        "max_size": DB_POOL_MAX_SIZE,
        # A request waits at most this long for a free connection, then fails with a 503.
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        # A connection broken while the database was away is found before a request gets it.
        "check": ConnectionPool.check_connection,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["myprescriptions.accounts.backends.AuthenticationBackend"]
LOGIN_URL = "site:landing"
LOGIN_REDIRECT_URL = "proxies:choose"
LOGOUT_REDIRECT_URL = "site:landing"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A database cache keeps rate limits shared between processes without Redis.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache_table",
                          # Culling at the default 300 entries would silently reset rate limits.
                          "OPTIONS": {"MAX_ENTRIES": 1_000_000}}}

# Sessions: server-side, ID-porten style limits.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", 30 * 60))
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", 120 * 60))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_NAME = "mrsession"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# HTTP hardening.
SECURE_HSTS_SECONDS = 0 if DEBUG else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *env_list("CSP_FORM_ACTION_EXTRA", [])],
}
# Every powerful browser feature off: the site uses none of them.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), bluetooth=(), browsing-topics=(), camera=(), display-capture=(), "
    "encrypted-media=(), fullscreen=(), geolocation=(), gyroscope=(), hid=(), idle-detection=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), picture-in-picture=(), "
    "publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)
# Translated error pages even when the database is down; the same page for a failed CSRF check.
CSRF_FAILURE_VIEW = "myprescriptions.hardening.views.csrf_failure"

# Languages: Bokmål by default, Nynorsk and English.
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("nn", _("Norwegian Nynorsk")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Oslo"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Every file under static/ is small; an oversized SAML body is refused before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", 256 * 1024))

# --- Login: django-allauth with its SAML provider, extended in myprescriptions.saml ---
ACCOUNT_ADAPTER = "myprescriptions.accounts.adapter.NoLocalAccountsAdapter"
SOCIALACCOUNT_ADAPTER = "myprescriptions.accounts.adapter.EidSocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*"]
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False

SAML_ORG = "eid"
# "testidp" (the default with TEST_IDP on) reads the built-in test IdP's metadata in-process.
SAML_IDP_METADATA = os.environ.get("SAML_IDP_METADATA", "")
SAML_SP_ENTITY_ID = os.environ.get("SAML_SP_ENTITY_ID", "")
SAML_SP_CERT_FILE = os.environ.get("SAML_SP_CERT_FILE", "")
SAML_SP_KEY_FILE = os.environ.get("SAML_SP_KEY_FILE", "")
SAML_UID_ATTRIBUTE = os.environ.get("SAML_UID_ATTRIBUTE", "uid")
SAML_AUTHN_CONTEXTS = env_list(
    "SAML_AUTHN_CONTEXTS",
    ["http://eidas.europa.eu/LoA/high", "urn:oasis:names:tc:SAML:2.0:ac:classes:Level4"],
)
SAML_CLOCK_SKEW_SECONDS = min(int(os.environ.get("SAML_CLOCK_SKEW_SECONDS", "60")), 300)
TEST_IDP_DIR = Path(os.environ.get("TEST_IDP_DIR", VAR_DIR / "testidp"))
# Published in our SP metadata ahead of a certificate rollover (see README).
SAML_SP_NEXT_CERT_FILE = os.environ.get("SAML_SP_NEXT_CERT_FILE", "")
# Tests only (a local metadata server): production metadata URLs must be https. Not read from the
# environment on purpose.
SAML_IDP_METADATA_ALLOW_HTTP = False

# "saml" (default): we are the SAML SP. "shibboleth": a Shibboleth SP in front of us does SAML and
# passes identity and assurance in request headers, trusted only from TRUSTED_PROXIES.
AUTH_MODE = os.environ.get("AUTH_MODE", "saml").strip().lower()
if AUTH_MODE not in ("saml", "shibboleth"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("AUTH_MODE must be saml or shibboleth")
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
SHIB_UID_HEADER = os.environ.get("SHIB_UID_HEADER", "uid")
SHIB_AUTHN_CONTEXT_HEADER = os.environ.get("SHIB_AUTHN_CONTEXT_HEADER", "Shib-AuthnContext-Class")
SHIB_GIVEN_NAME_HEADER = os.environ.get("SHIB_GIVEN_NAME_HEADER", "givenName")
SHIB_FAMILY_NAME_HEADER = os.environ.get("SHIB_FAMILY_NAME_HEADER", "sn")
SHIB_LOGOUT_URL = os.environ.get("SHIB_LOGOUT_URL", "/Shibboleth.sso/Logout")

SOCIALACCOUNT_PROVIDERS = {
    "saml": {
        "provider_class": "myprescriptions.saml.provider.EidSamlProvider",
        "APPS": [
            {
                "name": "ID-porten",
                "provider_id": "saml",
                "client_id": SAML_ORG,
                "settings": {
                    "attribute_mapping": {"uid": SAML_UID_ATTRIBUTE} if SAML_UID_ATTRIBUTE else {},
                    "sp": {"entity_id": SAML_SP_ENTITY_ID} if SAML_SP_ENTITY_ID else {},
                    # The IdP half is filled from SAML_IDP_METADATA by myprescriptions.saml.config.
                    "idp": {},
                    "advanced": {
                        "strict": True,
                        "want_assertion_signed": True,
                        "want_message_signed": False,
                        "reject_deprecated_algorithm": True,
                        "reject_idp_initiated_sso": True,
                        "want_attribute_statement": False,
                        "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
                        "signature_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                    },
                },
            }
        ],
    }
}

# --- The closing notice (see the public pages) ---
SERVICE_CLOSES_ON = datetime.date.fromisoformat(os.environ.get("SERVICE_CLOSES_ON", "2027-06-30"))
SUCCESSOR_URL = os.environ.get("SUCCESSOR_URL", "https://www.helsenorge.no/legemidler/")
POA_REGISTRATION_URL = os.environ.get("POA_REGISTRATION_URL", "https://www.helsenorge.no/fullmakt/")
# Cookies set by equipment in front of the service, listed on the cookie page: "bigip" (the load
# balancer's persistence cookie), "shibboleth" (implied by AUTH_MODE=shibboleth).
INFRASTRUCTURE_COOKIES = env_list("INFRASTRUCTURE_COOKIES", [])

# Grant form: lookups of a holder by national identity number, per user and window (anti-enumeration).
POA_LOOKUP_LIMIT = int(os.environ.get("POA_LOOKUP_LIMIT", "10"))
POA_LOOKUP_WINDOW_SECONDS = int(os.environ.get("POA_LOOKUP_WINDOW_SECONDS", "3600"))

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# One JSON object per line on stdout with the request id; "text" for a developer's terminal.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING = logging_config(LOG_LEVEL, LOG_FORMAT)
