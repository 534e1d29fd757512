"""The one settings module. Everything that differs between machines comes from the
environment (see README, "Configuration"); the defaults give a working embedded
installation with SQLite under ./var/.
"""

import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from qualify.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("QUALIFY_VAR_DIR", str(Path.cwd() / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = env_str("QUALIFY_SECRET_KEY")
    if configured:
        return configured
    # Generated once and kept beside the database so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("QUALIFY_DEBUG", False)
ALLOWED_HOSTS = env_list("QUALIFY_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("QUALIFY_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "django_prometheus",
    "qualify.audit",
    "qualify.accounts",
    "qualify.signatures",
    "qualify.org",
    "qualify.documents",
    "qualify.identity",
    "qualify.training",
    "qualify.assessments",
    "qualify.quality",
    "qualify.content",
    "qualify.reports",
    "qualify.api",
    "qualify.web",
    "qualify.seed",
    "qualify.validation",
]

MIDDLEWARE = [
    # Issue 18: request counts and latencies for /metrics (first and last, to time all).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "qualify.web.ops.LivenessMiddleware",
    # P22: first, so a database outage anywhere below answers 503, never 500.
    "qualify.outage.DatabaseUnavailableMiddleware",
    "qualify.audit.middleware.RequestContextMiddleware",
    # P19: over-size bodies (413) and over-long query parameters (400) before anything reads them.
    "qualify.limits.BoundedInputMiddleware",
    # P16/P23: NUL bytes refused with 400; no-store on the API and signed-in pages.
    "qualify.edge.RefuseNulBytesMiddleware",
    "qualify.edge.NoStoreMiddleware",
    "qualify.edge.ApiProblemsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Issue 10: Content-Security-Policy and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "qualify.web.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Issue 18 (P187): the user's roles, clients and permissions in one statement.
    "qualify.org.access_facts.AccessFactsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "qualify.accounts.middleware.IdleExpiryNoticeMiddleware",
    "qualify.accounts.middleware.SlidingSessionMiddleware",
    # U4: a password past its maximum age must be changed before anything else.
    "qualify.accounts.middleware.PasswordExpiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "qualify.web.middleware.HtmxRedirectMiddleware",
    # P15: the declared access policy (qualify.accounts.policy) on every page.
    "qualify.web.access.AccessPolicyMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "qualify.urls"
# Issue 18 (P177): Django's form renderer, its selects written without a template per option.
FORM_RENDERER = "qualify.web.rendering.FormRenderer"
WSGI_APPLICATION = "qualify.wsgi.application"

TEMPLATES = [
    {
        # Django's, noting in the access log the GxP records each page shows (P152).
        "BACKEND": "qualify.web.shown.Templates",
        # The alias Django's own backend has: DRF's error page asks engines["django"].
        "NAME": "django",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qualify.web.nav.menu",
                "csp.context_processors.nonce",
            ],
        },
    },
]


def _database(variable: str = "QUALIFY_DATABASE_URL") -> dict:
    default_url = f"sqlite:///{VAR_DIR / 'qualify.sqlite3'}"
    config = dj_database_url.parse(env_str(variable, default_url))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on
        # busy_timeout instead of failing mid-transaction; it also serialises
        # audit appends on SQLite.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    config["ATOMIC_REQUESTS"] = False
    # P22: connections are kept between requests and checked before reuse, so a
    # connection broken by a database restart is replaced instead of failing the
    # next request; while the database is away requests answer 503
    # (qualify.outage) and service resumes by itself.
    config["CONN_MAX_AGE"] = env_int("QUALIFY_DB_CONN_MAX_AGE", 60)
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Fail fast while the server is down rather than hang the worker.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
        # Issue 18: the planner's cost of reading a page at random. PostgreSQL's default
        # (4) models spinning disks, and with it a page of 50 rows was joined by reading
        # whole tables (2,000 requirements, 4,000 versions) rather than by their keys;
        # PostgreSQL's documentation suggests 1.1 for solid-state storage. Set when each
        # connection starts (no round trip); empty leaves the server's own value (a
        # pooler that refuses startup options: set it on the server instead).
        cost = env_str("QUALIFY_DB_RANDOM_PAGE_COST", "1.1")
        if cost:
            try:
                valid = 0 < float(cost) < float("inf")
            except ValueError:
                valid = False
            if not valid:
                raise ValueError(
                    f"QUALIFY_DB_RANDOM_PAGE_COST must be a positive number, got {cost!r}"
                )
            # After any options the address gave, so those are kept.
            config["OPTIONS"]["options"] = " ".join(
                filter(
                    None, [config["OPTIONS"].get("options"), f"-c random_page_cost={float(cost)}"]
                )
            )
        # Issue 18: statements prepared on the server after they ran this many times on
        # a connection, so PostgreSQL plans a page's statements once, not on every
        # request: planning a detail page's seven-way join took 3 ms, running it 0.2 ms
        # (medium plant). Needs the parameters bound on the server. Empty: never
        # (poolers that hand a session's statements to another connection, such as
        # PgBouncer in transaction mode before 1.21).
        threshold = env_str("QUALIFY_DB_PREPARE_THRESHOLD", "2")
        if threshold:
            if not (threshold.isascii() and threshold.isdigit()):
                raise ValueError(
                    "QUALIFY_DB_PREPARE_THRESHOLD must be a whole number of runs or empty,"
                    f" got {threshold!r}"
                )
            config["OPTIONS"]["server_side_binding"] = True
            config["OPTIONS"]["prepare_threshold"] = int(threshold)
        # Issue 18: QUALIFY_DB_POOL="MIN:MAX" (e.g. "2:8") gives each process a psycopg
        # pool instead of one kept connection per thread; Django checks connections
        # out per request and needs CONN_MAX_AGE 0 with a pool.
        pool = env_str("QUALIFY_DB_POOL")
        if pool:
            low, _, high = pool.partition(":")
            if not (low.isdigit() and (high or low).isdigit() and int(low) <= int(high or low)):
                raise ValueError(f"QUALIFY_DB_POOL must look like '2:8' (MIN:MAX), got {pool!r}")
            config["OPTIONS"]["pool"] = {
                "min_size": int(low),
                "max_size": int(high or low),
                "timeout": 10,
                # Django passes psycopg_pool's check_connection itself: a connection
                # broken by a database restart is found before it is handed out.
            }
            config["CONN_MAX_AGE"] = 0
            config["CONN_HEALTH_CHECKS"] = False
        # Django's backend, with statements of more parameters than the server takes
        # bound on the client (qualify/postgresql).
        config["ENGINE"] = "qualify.postgresql"
    config.setdefault("TEST", {})
    # P60: `qualify validate` runs its OQ in a scratch database of this name (PostgreSQL).
    if env_str("QUALIFY_TEST_DATABASE_NAME", ""):
        config["TEST"]["NAME"] = env_str("QUALIFY_TEST_DATABASE_NAME", "")
    return config


DATABASES = {"default": _database()}
# P140: read-only reports may read from a replica (qualify.replica); everything else,
# every write and every read inside a transaction stays on the primary.
if env_str("QUALIFY_REPLICA_DATABASE_URL", ""):
    DATABASES["replica"] = _database("QUALIFY_REPLICA_DATABASE_URL")
    # Tests have one database: the replica alias reads the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"] == "qualify.postgresql":
        # A second database standing in for a replica refuses writes as a standby would.
        read_only = "-c default_transaction_read_only=on"
        DATABASES["replica"]["OPTIONS"]["options"] = " ".join(
            filter(None, [DATABASES["replica"]["OPTIONS"].get("options"), read_only])
        )
DATABASE_ROUTERS = ["qualify.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["qualify.accounts.backends.LockoutAwareBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
PASSWORD_HASHERS = [
    "qualify.accounts.hashers.QualifyArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("QUALIFY_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# U4: password ageing (days; 0 = off, 21 CFR 11.300(b)), reuse history (the last N
# passwords cannot be chosen again; 0 = off), the one-time set-password link's
# lifetime (Django's PasswordResetTokenGenerator: single use, as it is bound to the
# password hash), how many forgotten-password links may be asked for per user id
# and per client address in an hour, and the address links in mails point to.
QUALIFY_PASSWORD_MAX_AGE_DAYS = env_int("QUALIFY_PASSWORD_MAX_AGE_DAYS", 0)
QUALIFY_PASSWORD_HISTORY = env_int("QUALIFY_PASSWORD_HISTORY", 5)
QUALIFY_PASSWORD_LINK_HOURS = env_int("QUALIFY_PASSWORD_LINK_HOURS", 72)
PASSWORD_RESET_TIMEOUT = QUALIFY_PASSWORD_LINK_HOURS * 3600
QUALIFY_PASSWORD_LINK_RATE = env_int("QUALIFY_PASSWORD_LINK_RATE", 3)
QUALIFY_BASE_URL = env_str("QUALIFY_BASE_URL", "http://localhost:8000").rstrip("/")

# U1: account lockout and idle expiry.
QUALIFY_LOCKOUT_THRESHOLD = env_int("QUALIFY_LOCKOUT_THRESHOLD", 5)
QUALIFY_IDLE_MINUTES = env_int("QUALIFY_IDLE_MINUTES", 15)
SESSION_COOKIE_AGE = QUALIFY_IDLE_MINUTES * 60
# The expiry slides with activity (an idle timeout), the session written at most once a
# minute: qualify.accounts.middleware.SlidingSessionMiddleware.
SESSION_SAVE_EVERY_REQUEST = False
# Django's database engine, its read of a session compiled once (issue 18, P209).
SESSION_ENGINE = "qualify.accounts.sessions.db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("QUALIFY_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Issue 10: security headers. With QUALIFY_SECURE_COOKIES on (production over https)
# plain http is redirected and HSTS is sent; behind a reverse proxy that ends TLS,
# QUALIFY_PROXY_SSL_HEADER names the header it sets ("X-Forwarded-Proto: https"),
# and the proxy must overwrite that header on every request it forwards.
SECURE_SSL_REDIRECT = env_bool("QUALIFY_SSL_REDIRECT", SESSION_COOKIE_SECURE)
SECURE_HSTS_SECONDS = env_int("QUALIFY_HSTS_SECONDS", 31_536_000 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("QUALIFY_HSTS_SUBDOMAINS", SESSION_COOKIE_SECURE)
SECURE_HSTS_PRELOAD = env_bool("QUALIFY_HSTS_PRELOAD", SESSION_COOKIE_SECURE)


def _proxy_ssl_header() -> tuple[str, str] | None:
    raw = env_str("QUALIFY_PROXY_SSL_HEADER")
    if not raw:
        return None
    name, sep, value = raw.partition(":")
    if not sep or not name.strip() or not value.strip():
        raise ValueError(
            f"QUALIFY_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', got {raw!r}"
        )
    return "HTTP_" + name.strip().upper().replace("-", "_"), value.strip()


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: pages load qualify.css and htmx from /static/;
# a template that truly needs an inline block uses the request's nonce
# ({{ CSP_NONCE }}). Uploaded files get their own sandbox policy
# (qualify.web.files) and the API docs theirs (qualify.api.docs).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        # Issue 16: the signing dialog's re-authentication is a form whose answer
        # redirects to the identity provider; browsers apply form-action to that
        # redirect, so the provider's origin is allowed (QUALIFY_SSO_FORM_ORIGINS).
        "form-action": [SELF, *env_list("QUALIFY_SSO_FORM_ORIGINS", [])],
    }
}
# Browser features no page of Qualify uses, denied to the page and every frame.
QUALIFY_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "bluetooth=(), hid=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), "
    "display-capture=()"
)
# Uploads (documents and evidence) larger than this are refused
# (qualify.documents.uploads).
QUALIFY_MAX_UPLOAD_MB = env_int("QUALIFY_MAX_UPLOAD_MB", 25)
# L1: seconds of network delay an assessment answer sheet may arrive after its time
# limit and still be scored (qualify.assessments.services); later ones are refused.
QUALIFY_ASSESSMENT_GRACE_SECONDS = env_int("QUALIFY_ASSESSMENT_GRACE_SECONDS", 5)
# P19, issue 10: every input is bounded (qualify.limits). A body without files (form,
# JSON) up to QUALIFY_MAX_BODY_MB, a form's fields, a query parameter's characters, an
# imported file's size and rows; larger ones are refused with a message saying so.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("QUALIFY_MAX_BODY_MB", 10) * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("QUALIFY_MAX_FORM_FIELDS", 1000)
QUALIFY_MAX_QUERY_CHARS = env_int("QUALIFY_MAX_QUERY_CHARS", 1000)
QUALIFY_IMPORT_MAX_MB = env_int("QUALIFY_IMPORT_MAX_MB", 100)
QUALIFY_IMPORT_MAX_ROWS = env_int("QUALIFY_IMPORT_MAX_ROWS", 200_000)
# Issue 15: e-learning packages (qualify.content.archive). A package ZIP larger than
# QUALIFY_CONTENT_MAX_MB, unpacking to more than QUALIFY_CONTENT_MAX_UNPACKED_MB, with
# more members than QUALIFY_CONTENT_MAX_FILES or a member inflating more than
# QUALIFY_CONTENT_MAX_RATIO times (a zip bomb) is refused before anything is written.
QUALIFY_CONTENT_MAX_MB = env_int("QUALIFY_CONTENT_MAX_MB", 500)
QUALIFY_CONTENT_MAX_UNPACKED_MB = env_int("QUALIFY_CONTENT_MAX_UNPACKED_MB", 1500)
QUALIFY_CONTENT_MAX_FILES = env_int("QUALIFY_CONTENT_MAX_FILES", 20000)
QUALIFY_CONTENT_MAX_RATIO = env_int("QUALIFY_CONTENT_MAX_RATIO", 200)

# E5/T1: how far in the future an attested time (an MES's step time) may lie and still
# be accepted, for clocks that disagree by a little.
QUALIFY_CLOCK_SKEW_SECONDS = env_int("QUALIFY_CLOCK_SKEW_SECONDS", 60)

# G4: how long before a record expires its retraining is assigned.
QUALIFY_RECURRENCE_LEAD_DAYS = env_int("QUALIFY_RECURRENCE_LEAD_DAYS", 30)

# Reminders (issue 4): "due soon" horizon and the delay before escalating to the
# manager's manager.
QUALIFY_DUE_SOON_DAYS = env_int("QUALIFY_DUE_SOON_DAYS", 7)
QUALIFY_ESCALATION_DAYS = env_int("QUALIFY_ESCALATION_DAYS", 7)

# A3, A6: the site's Ed25519 key (checkpoint signatures, event MACs) lives outside the
# database; `qualify audit keygen` makes it (docs/audit.md). The origin is unique per
# installation unless set; the verifier key printed at setup is pinned here.
QUALIFY_SIGNING_KEY = Path(env_str("QUALIFY_SIGNING_KEY", str(VAR_DIR / "checkpoint-ed25519.pem")))
QUALIFY_CHECKPOINT_ORIGIN = env_str("QUALIFY_CHECKPOINT_ORIGIN", "")
QUALIFY_VERIFIER_KEY = env_str("QUALIFY_VERIFIER_KEY", "")
# The checkpoint log on disk (default: beside the key), the interval the worker signs a
# checkpoint at, witnesses ("URL WITNESS_VKEY", comma separated), and how far an event's
# time may lie before an earlier event's (appenders wait for the chain lock).
QUALIFY_CHECKPOINT_LOG = env_str("QUALIFY_CHECKPOINT_LOG", "")
QUALIFY_CHECKPOINT_INTERVAL_SECONDS = env_int("QUALIFY_CHECKPOINT_INTERVAL_SECONDS", 300)
QUALIFY_AUDIT_WITNESSES = env_list("QUALIFY_AUDIT_WITNESSES", [])
QUALIFY_AUDIT_TIME_ALLOWANCE_SECONDS = env_int("QUALIFY_AUDIT_TIME_ALLOWANCE_SECONDS", 300)
# Issue 13: PDF exports are signed (PAdES) with the installation's document-signing key
# and certificate, made at first use beside the checkpoint key; set both paths (PEM) to
# use the customer's own instead (docs/reports.md).
QUALIFY_REPORT_SIGNING_KEY = env_str("QUALIFY_REPORT_SIGNING_KEY", "")
QUALIFY_REPORT_SIGNING_CERT = env_str("QUALIFY_REPORT_SIGNING_CERT", "")
QUALIFY_REPORT_SIGNING_KEY_PASSWORD = env_str("QUALIFY_REPORT_SIGNING_KEY_PASSWORD", "")

# P20: webhooks go to public https addresses only. An administrator may allow
# internal networks (CIDR list, e.g. "10.2.0.0/16") and hosts sent plain http.
QUALIFY_WEBHOOK_ALLOW_NETWORKS = env_list("QUALIFY_WEBHOOK_ALLOW_NETWORKS", [])
QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS = env_list("QUALIFY_WEBHOOK_ALLOW_HTTP_HOSTS", [])

# Issue 16, enterprise identity (qualify.identity, docs/identity.md). OpenID Connect
# sign-in is on when an issuer is set; the client secret is best given as a file
# (QUALIFY_OIDC_CLIENT_SECRET_FILE).
QUALIFY_OIDC_ISSUER = env_str("QUALIFY_OIDC_ISSUER", "")
QUALIFY_OIDC_CLIENT_ID = env_str("QUALIFY_OIDC_CLIENT_ID", "")
QUALIFY_OIDC_CLIENT_SECRET = env_str("QUALIFY_OIDC_CLIENT_SECRET", "")
QUALIFY_OIDC_NAME = env_str("QUALIFY_OIDC_NAME", "company sign-in")
QUALIFY_OIDC_SCOPES = env_str("QUALIFY_OIDC_SCOPES", "openid profile email")
QUALIFY_OIDC_USERNAME_CLAIM = env_str("QUALIFY_OIDC_USERNAME_CLAIM", "preferred_username")
QUALIFY_OIDC_NAME_CLAIM = env_str("QUALIFY_OIDC_NAME_CLAIM", "name")
QUALIFY_OIDC_GROUPS_CLAIM = env_str("QUALIFY_OIDC_GROUPS_CLAIM", "groups")
# "IdP group=role" pairs; empty: roles are kept in Qualify and groups are ignored.
QUALIFY_OIDC_ROLE_MAP = env_list("QUALIFY_OIDC_ROLE_MAP", [])
# Groups named "<prefix><role>" map to that role; a prefixed group naming no role is
# refused at sign-in. Empty: off.
QUALIFY_OIDC_ROLE_PREFIX = env_str("QUALIFY_OIDC_ROLE_PREFIX", "")
QUALIFY_OIDC_ALLOWED_DOMAINS = env_list("QUALIFY_OIDC_ALLOWED_DOMAINS", [])
QUALIFY_OIDC_CREATE_USERS = env_bool("QUALIFY_OIDC_CREATE_USERS", False)
# Seconds the provider's auth_time may lie before the re-authentication request
# (clock skew between the provider and Qualify, and auth_time's whole seconds).
QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS = env_int("QUALIFY_OIDC_AUTH_TIME_SKEW_SECONDS", 5)
# Minutes a completed re-authentication may wait for its signature.
QUALIFY_REAUTH_MINUTES = env_int("QUALIFY_REAUTH_MINUTES", 10)
# "everyone", or "administrators": then only administrators (break-glass) sign in
# with a local password, everybody else through the identity provider.
QUALIFY_LOCAL_PASSWORDS = env_str("QUALIFY_LOCAL_PASSWORDS", "everyone")
# SAML 2.0 sign-in (issue 16) is on when the identity provider's metadata is given
# (a file). Group → role mapping, allowed domains and account creation are the
# QUALIFY_OIDC_* settings above, shared by both protocols.
QUALIFY_SAML_IDP_METADATA_FILE = env_str("QUALIFY_SAML_IDP_METADATA_FILE", "")
QUALIFY_SAML_SP_ENTITY_ID = env_str("QUALIFY_SAML_SP_ENTITY_ID", "")
QUALIFY_SAML_NAME = env_str("QUALIFY_SAML_NAME", "company sign-in (SAML)")
QUALIFY_SAML_USERNAME_ATTRIBUTE = env_str("QUALIFY_SAML_USERNAME_ATTRIBUTE", "uid")
QUALIFY_SAML_NAME_ATTRIBUTE = env_str("QUALIFY_SAML_NAME_ATTRIBUTE", "displayName")
QUALIFY_SAML_EMAIL_ATTRIBUTE = env_str("QUALIFY_SAML_EMAIL_ATTRIBUTE", "mail")
QUALIFY_SAML_GROUPS_ATTRIBUTE = env_str("QUALIFY_SAML_GROUPS_ATTRIBUTE", "groups")
QUALIFY_SAML_XMLSEC_BINARY = env_str("QUALIFY_SAML_XMLSEC_BINARY", "/usr/bin/xmlsec1")

# OAuth2 client credentials for integrations (issue 16): django-oauth-toolkit issues
# access tokens at /oauth/token/ with the API's scopes; only their SHA-256 is stored.
OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read",
        "people-write": "People and job assignments",
        "documents-write": "Draft revisions",
        "executions-write": "Executions",
        "webhooks-manage": "Webhook subscriptions",
    },
    "DEFAULT_SCOPES": [],
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("QUALIFY_OAUTH_TOKEN_SECONDS", 3600),
    "OAUTH2_VALIDATOR_CLASS": "qualify.identity.oauth.Validator",
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # Integrations use the client-credentials grant only; everything RFC 9700 (OAuth 2.0
    # Security BCP) tightens is tightened.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("QUALIFY_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves from here after `collectstatic`; it exists from the start so a
# fresh installation (and every test) runs without "No directory" warnings.
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = Path(env_str("QUALIFY_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = env_str("QUALIFY_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("QUALIFY_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("QUALIFY_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("QUALIFY_FROM_EMAIL", "qualify@localhost")
# With QUALIFY_EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend each
# mail is written as a file here (a trial installation without a mail server; tests).
EMAIL_FILE_PATH = env_str("QUALIFY_EMAIL_FILE_PATH", str(VAR_DIR / "mail"))

TASKS = {
    "default": {
        "BACKEND": env_str("QUALIFY_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Qualify API",
    "VERSION": "1.0.0",
    # Here rather than in the schema view alone (qualify.api.urls), so `check --deploy`
    # builds the schema the API serves and warns about nothing (issue 10).
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "qualify.api.schema_auth.add_problem_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "AssignmentStatusEnum": "qualify.training.models.AssignmentStatus",
        "VersionStatusEnum": "qualify.documents.models.VersionStatus",
        "DeliveryStatusEnum": "qualify.api.models.DeliveryStatus",
        "EvidenceEnum": "qualify.training.models.Evidence",
        # CAPAs and deviations are open or closed alike; an access change is to a role
        # or to a client restriction.
        "OpenClosedEnum": "qualify.quality.models.capa.CapaStatus",
        "AccessKindEnum": [("role", "role"), ("client", "client")],
        "AuditReviewStatusEnum": "qualify.reports.review_models.ReviewStatus",
        # Issue 15: an e-learning attempt (open, completed, signed, abandoned).
        "ElearningAttemptStatusEnum": "qualify.content.models.AttemptStatus",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Issue 18: QUALIFY_LOG_FORMAT=json writes one JSON object per line with the request id
# the audit events carry (qualify.logs); "text" (default) is Django's plain format.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "qualify.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            **({"formatter": "json"} if env_str("QUALIFY_LOG_FORMAT", "text") == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("QUALIFY_LOG_LEVEL", "WARNING")},
}
# Issue 18: with several app servers, QUALIFY_REDIS_URL (redis://host:6379/0) makes the
# cache shared, so throttles count across servers; sessions are then cached in Redis and
# kept in the database (a Redis restart logs nobody out). Without it: per-process cache.
if env_str("QUALIFY_REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("QUALIFY_REDIS_URL"),
        }
    }
    SESSION_ENGINE = "qualify.accounts.sessions.cached_db"
# P211: the access log's commits on PostgreSQL do not wait for the disk unless this is
# set (qualify.audit.access): a database crash may lose its last moment's entries.
QUALIFY_ACCESS_LOG_WAIT_FOR_DISK = env_bool("QUALIFY_ACCESS_LOG_WAIT_FOR_DISK", False)
# Issue 18: /metrics answers the loopback address, or anyone with this bearer token.
QUALIFY_METRICS_TOKEN = env_str("QUALIFY_METRICS_TOKEN", "")
# Issue 18: request latency buckets a page can fall in. django-prometheus's default
# (17 buckets, 10 ms to 75 s) has none under 10 ms, where most pages answer, and ends
# past gunicorn's 60 s timeout; every view has a series per bucket, so the scrape's
# size and time grow with views x buckets.
PROMETHEUS_LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf")
)  # fmt: skip
