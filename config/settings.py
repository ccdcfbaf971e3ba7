"""Settings for every environment, read from environment variables.

The defaults are the embedded ones (SQLite in WAL mode, Celery on kombu's filesystem transport), so
`make run` needs no server. Production sets DJANGO_SETTINGS_MODULE=config.settings_production and
real values for SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL and ALLOWED_HOSTS.

This module is the only place a setting gets its default: application code reads
`django.conf.settings.NAME` when it runs (never `getattr(settings, NAME, default)`, never at import
time), and tests/core/test_settings.py fails on a read of a name defined nowhere. Importing it has
no side effects: folders under VAR_DIR are made by what uses them (`make migrate`, runstack,
collectstatic, the Docker image, the test run).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SERVICEDESK_VAR_DIR", str(BASE_DIR / "var")))

INSECURE_DEFAULT_SECRET_KEY = "insecure-dev-key-change-me"  # noqa: S105 — refused in production
SECRET_KEY = env_str("SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "core.api.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "core",
    "sla",
    "incidents",
    "service_requests",
    "problems",
    "changes",
    "portal",
    "reporting",
    "incidents.alerts",
    "core.webhooks",
    "email_intake",
    "oncall",
    "slo",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.request_body.RequestBodyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages show dates in the signed-in person's time zone (core/time_zones.py).
    "core.time_zones.UserTimeZoneMiddleware",
    "core.cache_control.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Django's form renderer with the common widgets written in Python (core/web/form_renderer.py).
FORM_RENDERER = "core.web.form_renderer.FastWidgetRenderer"

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
                "core.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'servicedesk.sqlite3'}"
DATABASE_URL = env_str("DATABASE_URL", DEFAULT_SQLITE_URL)
# PostgreSQL with two roles (docs/deployment.md): web, worker and beat connect through DATABASE_URL
# as a runtime role that owns nothing; `manage.py migrate` runs with DATABASE_URL set to the
# owner's connection and, at its end, grants the role named here what the runtime may do (the
# timeline: read and append only). Empty: no grants (SQLite, or one role for everything).
DATABASE_RUNTIME_ROLE = env_str("DATABASE_RUNTIME_ROLE", "")
# PostgreSQL: lets two test runs share one server without sharing a test database (on SQLite
# each run has a file of its own, below).
TEST_DATABASE_NAME = env_str("TEST_DATABASE_NAME", "")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web app, worker and beat read while one of them writes; IMMEDIATE transactions
    # take the write lock up front so two writers queue instead of failing on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory, so processes started by tests (worker, beat, web) share the test DB;
    # one per test run, so runs side by side never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / f"test-servicedesk-{os.getpid()}.sqlite3")
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", 5)
    if TEST_DATABASE_NAME:
        DATABASES["default"]["TEST"] = {"NAME": TEST_DATABASE_NAME}

# A PostgreSQL streaming replica for reports, dashboards, CSV exports and /metrics (core/
# read_replica.py): only views that ask for it read there, and only while it has replayed what it
# received or lags by at most DATABASE_REPLICA_MAX_LAG seconds; otherwise they read the primary
# and /healthz says why. The probe's answer is kept DATABASE_REPLICA_CHECK_SECONDS per process.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
DATABASE_REPLICA_MAX_LAG = env_float("DATABASE_REPLICA_MAX_LAG", 30.0)
DATABASE_REPLICA_CHECK_SECONDS = env_float("DATABASE_REPLICA_CHECK_SECONDS", 5.0)
if DATABASE_REPLICA_MAX_LAG < 0 or DATABASE_REPLICA_CHECK_SECONDS < 0:
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_MAX_LAG and DATABASE_REPLICA_CHECK_SECONDS must not be negative."
    )
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must be a postgres:// URL.")
    DATABASES["replica"].setdefault("OPTIONS", {})
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", 2)
    # Tests read the test database through the alias; they never create one on the replica.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Inside a replica scope reads go to the alias it chose; everywhere else to the primary.
DATABASE_ROUTERS = ["core.read_replica.ReplicaRouter"]

# DATABASE_POOLING=transaction: the app connects through PgBouncer in transaction pooling
# (docs/deployment.md), where a server connection serves a client for one transaction only. So
# no server-side cursors (a named cursor lives on one server connection across transactions:
# the CSV exports read in keyset chunks instead) and no prepared statements (PgBouncer 1.18 does
# not carry them between server connections). "session" (the default): a direct connection, or
# a pooler in session mode, where both work.
DATABASE_POOLING = env_str("DATABASE_POOLING", "session").strip().lower() or "session"
if DATABASE_POOLING not in {"session", "transaction"}:
    raise ImproperlyConfigured(
        f"DATABASE_POOLING must be session or transaction, not {DATABASE_POOLING!r}."
    )
# With a direct connection, the statements the app keeps and runs over and over (the lists'
# counts and rows, sessions: core/kept_statements.py) are prepared on their second run: parsing
# and planning them took more of PostgreSQL's time than running them. Django's own cursors bind
# on the client and never prepare, so this changes nothing else.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        if DATABASE_POOLING == "transaction":
            _database["DISABLE_SERVER_SIDE_CURSORS"] = True
            _database["OPTIONS"]["prepare_threshold"] = None
        else:
            _database["OPTIONS"].setdefault("prepare_threshold", 2)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # The signed-in user read with a kept statement (core/auth_backend.py).
    "core.auth_backend.KeptModelBackend",
    # Only for sessions signed in before KeptModelBackend: a session names its backend.
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling per address and per user name (DESIGN.md §8; the design is in
# core/login_throttle.py). Per address, across user names: AXES_FAILURE_LIMIT failures lock the
# address for AXES_COOLOFF_MINUTES. Per user name, across addresses: LOGIN_USERNAME_FAILURE_LIMIT
# failures within LOGIN_USERNAME_COOLOFF_MINUTES pause that name, except from addresses it has
# signed in from before.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 20)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HANDLER = "core.login_throttle.LoginThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "core.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "core.login_throttle.lockout_response"
LOGIN_USERNAME_FAILURE_LIMIT = env_int("LOGIN_USERNAME_FAILURE_LIMIT", 10)
LOGIN_USERNAME_COOLOFF_MINUTES = env_int("LOGIN_USERNAME_COOLOFF_MINUTES", 5)
# Reverse proxies in front of the app that append to X-Forwarded-For (the TLS proxy: 1). The
# client address for login throttling and the API's throttles is read behind that many; 0
# ignores the header (a client could write anything in it). API_NUM_PROXIES is its old name.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", env_int("API_NUM_PROXIES", 0))

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
# The service desk speaks one language and translates nothing (no LocaleMiddleware, no catalogs
# of its own; Django's and its apps' en catalogs translate nothing either): with translation off
# every page reads the same, and the active language is no longer looked up in a context-local
# on each {% url %}, date and number format (about 1 ms of a ticket page, issue 18).
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security headers -----------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read with a statement made once (core/session_store.py).
SESSION_ENGINE = "core.session_store"

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "sent-emails"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Service Desk <servicedesk@localhost>")

# --- Celery ---------------------------------------------------------------------------------
CELERY_QUEUE_DIR = VAR_DIR / "celery"
# `filesystem://` is served by core/broker/filesystem.py (registered in config/celery.py): kombu's
# filesystem transport without the race that killed the embedded worker (celery/kombu#1551).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "processed_folder": str(CELERY_QUEUE_DIR / "processed"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
    }
else:
    # Short socket timeouts: a frozen Redis must fail fast, never block a worker for minutes.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_timeout": 5,
        "socket_connect_timeout": 3,
        "retry_on_timeout": False,
        "max_retries": 1,
        "visibility_timeout": 3600,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# The SLA and paging sweeps each have a queue of their own, served by their own worker slots, so
# a relay or email backlog on the default queue never delays a breach or a page.
CELERY_TASK_ROUTES = {
    "sla.*": {"queue": "sla"},
    "oncall.sweep_pages": {"queue": "paging"},
    "oncall.audit_pages": {"queue": "paging"},
}
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_QUEUE_DIR / "beat-schedule")
# A database outage answers 503 with this Retry-After (core/server_errors.py).
DATABASE_OUTAGE_RETRY_AFTER_SECONDS = env_int("DATABASE_OUTAGE_RETRY_AFTER_SECONDS", 5)
# The outbox relay (core/outbox_relay.py): how often beat runs it; after how long a dispatched
# row nobody claimed counts as lost and a running row as interrupted (its worker died); rows per
# round, ids per Celery message, how many may wait in the broker at once; the relay's lease.
OUTBOX_RELAY_INTERVAL_SECONDS = env_float("OUTBOX_RELAY_INTERVAL_SECONDS", 2.0)
OUTBOX_REDISPATCH_AFTER_SECONDS = env_int("OUTBOX_REDISPATCH_AFTER_SECONDS", 30)
OUTBOX_RUNNING_LEASE_SECONDS = env_int("OUTBOX_RUNNING_LEASE_SECONDS", 45)
OUTBOX_RELAY_BATCH_SIZE = env_int("OUTBOX_RELAY_BATCH_SIZE", 500)
OUTBOX_TASK_BATCH_SIZE = env_int("OUTBOX_TASK_BATCH_SIZE", 50)
OUTBOX_MAX_IN_FLIGHT = env_int("OUTBOX_MAX_IN_FLIGHT", 2000)
OUTBOX_RELAY_LEASE_SECONDS = env_int("OUTBOX_RELAY_LEASE_SECONDS", 60)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
# Celery retries of an outbox task that met a database error (backoff 2 s doubling to 30 s).
OUTBOX_TASK_MAX_RETRIES = env_int("OUTBOX_TASK_MAX_RETRIES", 10)
# /healthz says "degraded" when the worker's heartbeat task (run by beat every this many seconds)
# or the SLA sweep has not run for two of its periods.
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 15.0)
# Monitoring alert intake (incidents/alerts): body size limit, how often repeats reach the
# timeline, and how much of refused deliveries the per-integration log keeps.
ALERTS_MAX_BODY_BYTES = env_int("ALERTS_MAX_BODY_BYTES", 1024 * 1024)
ALERTS_OCCURRENCE_EVENT_MINUTES = env_int("ALERTS_OCCURRENCE_EVENT_MINUTES", 15)
# An alert firing again this soon after auto-resolve reopens its incident (0: always a new one).
ALERTS_REOPEN_WINDOW_MINUTES = env_int("ALERTS_REOPEN_WINDOW_MINUTES", 30)
ALERTS_INTAKE_LOG_KEEP = env_int("ALERTS_INTAKE_LOG_KEEP", 200)
ALERTS_INTAKE_LOG_BODY_BYTES = env_int("ALERTS_INTAKE_LOG_BODY_BYTES", 8192)
# Outbound webhooks (core/webhooks): delivery timeout, bounded exponential retries, log retention.
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10.0)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
WEBHOOK_DELIVERY_RETENTION_DAYS = env_int("WEBHOOK_DELIVERY_RETENTION_DAYS", 30)
# Outbound webhooks refuse loopback, private, link-local and other non-public addresses; true
# lets them reach receivers inside the network (on-premise chat, a local relay).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
SLA_SWEEP_INTERVAL_SECONDS = env_float("SLA_SWEEP_INTERVAL_SECONDS", 30.0)
# Paging (oncall/paging, docs/paging.md): how often beat runs the paging sweeper (page deadlines
# and due notifications), how many rows one sweep batch takes (a batch's pages stay locked until
# it commits, so an acknowledgement racing the sweeper waits at most one small batch) and how long
# one sweep task may keep taking batches before it re-queues itself.
PAGING_SWEEP_INTERVAL_SECONDS = env_float("PAGING_SWEEP_INTERVAL_SECONDS", 5.0)
PAGING_SWEEP_BATCH_SIZE = env_int("PAGING_SWEEP_BATCH_SIZE", 50)
PAGING_SWEEP_TIME_BUDGET_SECONDS = env_int("PAGING_SWEEP_TIME_BUDGET_SECONDS", 20)
# Hours a signed acknowledge/resolve link in a page message stays valid.
PAGING_LINK_HOURS = env_int("PAGING_LINK_HOURS", 24)
# A page or notification this many seconds past its deadline counts as stuck: /healthz says
# degraded and the auditor (every 60 s) logs an error and emails the group's manager.
PAGING_AUDIT_GRACE_SECONDS = env_int("PAGING_AUDIT_GRACE_SECONDS", 120)
PROBLEM_RECURRENCE_INTERVAL_SECONDS = env_float("PROBLEM_RECURRENCE_INTERVAL_SECONDS", 3600.0)
CELERY_BEAT_SCHEDULE = {
    # A relay message older than a few runs is useless (the next one is already queued).
    "core.relay_outbox": {
        "task": "core.relay_outbox",
        "schedule": OUTBOX_RELAY_INTERVAL_SECONDS,
        "options": {"expires": max(5.0, 3 * OUTBOX_RELAY_INTERVAL_SECONDS)},
    },
    "core.heartbeat": {
        "task": "core.heartbeat",
        "schedule": WORKER_HEARTBEAT_SECONDS,
        "options": {"expires": WORKER_HEARTBEAT_SECONDS},
    },
    "sla.sweep": {
        "task": "sla.sweep",
        "schedule": SLA_SWEEP_INTERVAL_SECONDS,
        "options": {"expires": 60},
    },
    "sla.audit": {"task": "sla.audit", "schedule": 60.0, "options": {"expires": 120}},
    # The triage queue's and the problem page's counts read tallies the database keeps
    # (core.tallies); their rows are folded each minute.
    "incidents.compact_open_tally": {
        "task": "incidents.compact_open_tally",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    "problems.compact_link_tally": {
        "task": "problems.compact_link_tally",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    # ... and compared with what they count every hour (made again, with an error logged, if
    # something wrote without their triggers).
    "incidents.audit_open_tally": {
        "task": "incidents.audit_open_tally",
        "schedule": 3600.0,
        "options": {"expires": 600},
    },
    "problems.audit_link_tally": {
        "task": "problems.audit_link_tally",
        "schedule": 3600.0,
        "options": {"expires": 600},
    },
    "oncall.sweep_pages": {
        "task": "oncall.sweep_pages",
        "schedule": PAGING_SWEEP_INTERVAL_SECONDS,
        "options": {"expires": max(10.0, 3 * PAGING_SWEEP_INTERVAL_SECONDS)},
    },
    "oncall.audit_pages": {
        "task": "oncall.audit_pages",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    "core.purge_idempotency_records": {
        "task": "core.purge_idempotency_records",
        "schedule": 3600.0,
        "options": {"expires": 600},
    },
    "reporting.send_scheduled": {
        "task": "reporting.send_scheduled",
        "schedule": 900.0,
        "options": {"expires": 600},
    },
    "webhooks.prune_deliveries": {
        "task": "webhooks.prune_deliveries",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
    "tickets.autoclose": {
        "task": "tickets.autoclose",
        "schedule": 3600.0,
        "options": {"expires": 600},
    },
    "problems.detect_recurring": {
        "task": "problems.detect_recurring",
        "schedule": PROBLEM_RECURRENCE_INTERVAL_SECONDS,
        "options": {"expires": 600},
    },
    "changes.remind_emergency_approvals": {
        "task": "changes.remind_emergency_approvals",
        "schedule": 900.0,
        "options": {"expires": 600},
    },
    # Each mailbox keeps its own interval (poll_interval_seconds); this is how often beat asks.
    "email_intake.poll": {
        "task": "email_intake.poll",
        "schedule": float(env_int("EMAIL_INTAKE_POLL_SECONDS", 60)),
        "options": {"expires": max(30, env_int("EMAIL_INTAKE_POLL_SECONDS", 60))},
    },
}

# `make run` (manage.py runstack): the web address, and the console log level of its Celery
# worker and beat (the relay and the sweeper run every few seconds; at INFO they would bury
# everything else).
RUNSTACK_HOST = env_str("HOST", "127.0.0.1")
RUNSTACK_PORT = env_int("PORT", 8000)

# The base address of links in emails and on the alert-integration page. Unless set, it is where
# `make run` listens (HOST/PORT), so `PORT=8101 make run` links to port 8101; an address that
# means "every interface" is reached on loopback.
_SITE_HOST = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(  # noqa: S104
    RUNSTACK_HOST, RUNSTACK_HOST
)
SITE_URL = env_str(
    "SITE_URL",
    f"http://{f'[{_SITE_HOST}]' if ':' in _SITE_HOST else _SITE_HOST}:{RUNSTACK_PORT}",
)
RUNSTACK_CELERY_LOG_LEVEL = env_str("STACK_LOG_LEVEL", "WARNING")

SLA_SWEEP_BATCH_SIZE = env_int("SLA_SWEEP_BATCH_SIZE", 500)
SLA_SWEEP_TIME_BUDGET_SECONDS = env_int("SLA_SWEEP_TIME_BUDGET_SECONDS", 20)
SLA_AUDIT_GRACE_SECONDS = env_int("SLA_AUDIT_GRACE_SECONDS", 300)
# An SLA what-if run is split into this many parts, replayed side by side by as many worker
# processes (sla.whatif.run); by default one per CPU of the machine that starts the run.
SLA_WHATIF_PARTS = max(1, min(env_int("SLA_WHATIF_PARTS", os.cpu_count() or 1), 32))

# --- Service desk rules ---------------------------------------------------------------------
# Days a resolved incident may be reopened by its requester or an agent.
INCIDENT_REOPEN_WINDOW_DAYS = env_int("INCIDENT_REOPEN_WINDOW_DAYS", 7)
# Days after which a resolved incident nobody reopened is closed by the system.
INCIDENT_AUTOCLOSE_DAYS = env_int("INCIDENT_AUTOCLOSE_DAYS", 10)
# Days after which a fulfilled service request nobody confirmed is closed by the system.
REQUEST_AUTOCLOSE_DAYS = env_int("REQUEST_AUTOCLOSE_DAYS", 10)
# Recurring-incident detection: this many incidents or more on the same service and category
# within the window, not linked to a problem, are proposed as a problem.
PROBLEM_RECURRENCE_MIN_INCIDENTS = env_int("PROBLEM_RECURRENCE_MIN_INCIDENTS", 3)
PROBLEM_RECURRENCE_WINDOW_DAYS = env_int("PROBLEM_RECURRENCE_WINDOW_DAYS", 7)
# Hours an emergency change may implement before its after-the-fact approval is overdue: the
# managers are emailed once, and the change list marks it "approval overdue".
CHANGE_EMERGENCY_APPROVAL_HOURS = env_int("CHANGE_EMERGENCY_APPROVAL_HOURS", 72)
# Impact x urgency -> priority (1 = P1 critical ... 5 = P5 planning). Override with a JSON object
# in PRIORITY_MATRIX, e.g. {"high": {"high": 1, "medium": 2, "low": 3}, ...}.
PRIORITY_MATRIX_JSON = env_str("PRIORITY_MATRIX", "")
# --- Email intake (docs/email.md) ---------------------------------------------------------
# How often beat asks each active mailbox for new mail (a mailbox may ask for longer).
EMAIL_INTAKE_POLL_SECONDS = env_int("EMAIL_INTAKE_POLL_SECONDS", 60)
# A message larger than this is refused with the reason (kept on the server, the sender told).
EMAIL_INTAKE_MAX_MESSAGE_BYTES = env_int("EMAIL_INTAKE_MAX_MESSAGE_BYTES", 40 * 1024 * 1024)
# A message that fails this many times is quarantined (an admin may retry it).
EMAIL_INTAKE_MAX_ATTEMPTS = env_int("EMAIL_INTAKE_MAX_ATTEMPTS", 3)
# More messages than this from one sender within a minute are held, not turned into tickets.
EMAIL_INTAKE_SENDER_PER_MINUTE = env_int("EMAIL_INTAKE_SENDER_PER_MINUTE", 10)
# A refused sender is told at most once per reason in this many hours.
EMAIL_INTAKE_NOTICE_HOURS = env_int("EMAIL_INTAKE_NOTICE_HOURS", 24)
# The domain of the Message-IDs the desk writes (default: DEFAULT_FROM_EMAIL's domain).
EMAIL_MESSAGE_ID_DOMAIN = env_str("EMAIL_MESSAGE_ID_DOMAIN", "")
# IMAP (email_intake/fetch.py): the socket and token-endpoint timeout; UIDs asked per round
# trip, and at most this many bytes of message bodies in one FETCH (memory stays flat).
EMAIL_INTAKE_IMAP_TIMEOUT_SECONDS = env_int("EMAIL_INTAKE_IMAP_TIMEOUT_SECONDS", 30)
EMAIL_INTAKE_FETCH_BATCH = env_int("EMAIL_INTAKE_FETCH_BATCH", 200)
EMAIL_INTAKE_FETCH_BYTES = env_int("EMAIL_INTAKE_FETCH_BYTES", 8 * 1024 * 1024)
# A message claimed for processing longer ago than this belongs to a worker that died.
EMAIL_INTAKE_CLAIM_SECONDS = env_int("EMAIL_INTAKE_CLAIM_SECONDS", 300)
# Messages processed per task run (the task re-queues itself while more wait).
EMAIL_INTAKE_PROCESS_BATCH = env_int("EMAIL_INTAKE_PROCESS_BATCH", 200)

ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "ATTACHMENT_ALLOWED_EXTENSIONS",
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".pdf",
        ".txt",
        ".log",
        ".csv",
        ".json",
        ".zip",
        ".gz",
        ".docx",
        ".xlsx",
        ".pptx",
        ".odt",
        ".ods",
        ".eml",
        ".msg",
    ],
)
QUEUE_PAGE_SIZE = env_int("QUEUE_PAGE_SIZE", 50)
QUEUE_REFRESH_SECONDS = env_int("QUEUE_REFRESH_SECONDS", 15)
# A ticket page shows this many timeline entries (the newest) and files, and a problem page
# this many linked incidents, with links to the rest, so a ticket with thousands of any still
# renders in the same work (core/web/paged_panel.py).
TIMELINE_PAGE_SIZE = env_int("TIMELINE_PAGE_SIZE", 50)
LINKED_INCIDENTS_PAGE_SIZE = env_int("LINKED_INCIDENTS_PAGE_SIZE", 50)
FILES_PAGE_SIZE = env_int("FILES_PAGE_SIZE", 50)
# Lists count at most this many rows per count (tabs, totals) and show "10,000+" beyond it, so
# their cost does not grow with the data they are not showing (core/capped_counts.py).
LIST_COUNT_CAP = env_int("LIST_COUNT_CAP", 10_000)
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 60)
# Reporting: which impacts count as an outage for MTBF, work_mem for report queries (PostgreSQL),
# how long the summary tiles are cached.
REPORTING_OUTAGE_IMPACTS = env_list("REPORTING_OUTAGE_IMPACTS", ["high"])
REPORTING_WORK_MEM = env_str("REPORTING_WORK_MEM", "64MB")
REPORTING_SUMMARY_CACHE_SECONDS = env_int("REPORTING_SUMMARY_CACHE_SECONDS", 60)
# DORA figures (changes/dora.py): the deployment environments that count, and how long after a
# change an incident on the same service counts as its failure.
DORA_ENVIRONMENTS = env_list("DORA_ENVIRONMENTS", ["production"])
DORA_FAILURE_WINDOW_HOURS = env_int("DORA_FAILURE_WINDOW_HOURS", 24)

# --- REST API (core/api: tokens, scopes, errors, pagination, throttles) ----------------------
# --- Cache --------------------------------------------------------------------------------------
# API throttle counters live here. One process (make run) is fine with local memory; several web
# replicas must share Redis (CACHE_URL=redis://host:6379/1). Nothing in the cache is needed to
# answer a request, so the Redis cache fails open (core/resilient_cache.py): short socket
# timeouts, and after a failure a circuit breaker skips Redis for CACHE_BREAKER_OPEN_SECONDS.
CACHE_URL = env_str("CACHE_URL", "")
CACHE_SOCKET_TIMEOUT_SECONDS = env_float("CACHE_SOCKET_TIMEOUT_SECONDS", 0.5)
CACHE_BREAKER_OPEN_SECONDS = env_float("CACHE_BREAKER_OPEN_SECONDS", 5.0)
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.resilient_cache.FailOpenRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "socket_timeout": CACHE_SOCKET_TIMEOUT_SECONDS,
                "socket_connect_timeout": CACHE_SOCKET_TIMEOUT_SECONDS,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Memos of small configuration tables (SLA policies, webhook subscriptions; core/config_memo.py):
# other processes see a change within RECHECK seconds through the shared cache, and within
# MAX_AGE seconds in any case.
CONFIG_MEMO_RECHECK_SECONDS = env_int("CONFIG_MEMO_RECHECK_SECONDS", 1)
CONFIG_MEMO_MAX_AGE_SECONDS = env_int("CONFIG_MEMO_MAX_AGE_SECONDS", 60)

API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200)
API_IDEMPOTENCY_TTL_HOURS = env_int("API_IDEMPOTENCY_TTL_HOURS", 24)

REST_FRAMEWORK = {
    # Token first: an unauthenticated request gets 401 with a Bearer challenge, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.permissions.HasTokenScope",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.KeysetCursorPagination",
    "PAGE_SIZE": env_int("API_PAGE_SIZE", 50),
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "core.api.throttling.ApiUserRateThrottle",
        "core.api.throttling.ApiAnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_user": env_str("API_THROTTLE_USER", "1200/minute") or None,
        "api_anon": env_str("API_THROTTLE_ANON", "60/minute") or None,
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNICODE_JSON": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Service desk API",
    "DESCRIPTION": (
        "Incidents, service requests, problems and SLAs. Authenticate with a personal API token "
        "(`Authorization: Bearer sdk_…`, created at /account/tokens/) or the browser session. "
        'Errors: `{"error": {"code", "message", "fields"}}`. Updates take `If-Match` with '
        "the ETag; creations take an `Idempotency-Key` header."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Stable component names for choice sets whose field names repeat across ticket kinds.
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "incidents.choices.IncidentStatus",
        "IncidentHoldReasonEnum": "incidents.choices.HoldReason",
        "IncidentCancelReasonEnum": "incidents.choices.CancelReason",
        "RequestStatusEnum": "service_requests.choices.RequestStatus",
        "RequestHoldReasonEnum": "service_requests.choices.HoldReason",
        "RequestCancelReasonEnum": "service_requests.choices.CancelReason",
        "ProblemStatusEnum": "problems.choices.ProblemStatus",
        "ProposalStatusEnum": "problems.choices.ProposalStatus",
        "ReviewStatusEnum": "problems.choices.ReviewStatus",
        "ChangeStatusEnum": "changes.choices.ChangeStatus",
        "ChangeImpactEnum": "changes.choices.ChangeImpact",
        "PatchStatusEnum": "changes.choices.PatchStatus",
        # Named as before changes had an impact of their own.
        "ImpactEnum": "incidents.choices.Impact",
        "ClockStateEnum": "sla.choices.ClockState",
        "SlaStateEnum": "sla.choices.SlaState",
        "ApiTokenScopeEnum": "core.models.tokens.ApiTokenScope",
        "PageStatusEnum": "oncall.models.paging.PageStatus",
        "PageNotificationStatusEnum": "oncall.models.paging.PageNotificationStatus",
        "ContactMethodKindEnum": "oncall.models.paging.ContactMethodKind",
        "SloKindEnum": "slo.choices.ObjectiveKind",
        "PriorityEnum": "core.choices.Priority",
    },
    # Offline docs: Swagger UI from drf-spectacular-sidecar, its settings script served
    # separately (SpectacularSwaggerSplitView) because the CSP forbids inline scripts.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- On-call shift reminders (oncall/reminders.py) ------------------------------------------
# Email people this many minutes before their on-call shift starts (0: no reminders); beat
# looks for shifts about to start every ONCALL_SHIFT_REMINDER_CHECK_SECONDS.
ONCALL_SHIFT_REMINDER_MINUTES = env_int("ONCALL_SHIFT_REMINDER_MINUTES", 60)
ONCALL_SHIFT_REMINDER_CHECK_SECONDS = env_int("ONCALL_SHIFT_REMINDER_CHECK_SECONDS", 300)
CELERY_BEAT_SCHEDULE["oncall.shift_reminders"] = {
    "task": "oncall.shift_reminders",
    "schedule": float(ONCALL_SHIFT_REMINDER_CHECK_SECONDS),
    "options": {"expires": ONCALL_SHIFT_REMINDER_CHECK_SECONDS},
}

# --- Service level objectives (slo/, docs/slo.md) -------------------------------------------
# How often beat evaluates every objective's budget and burn rates (alerts fire and clear then).
SLO_EVALUATE_INTERVAL_SECONDS = env_int("SLO_EVALUATE_INTERVAL_SECONDS", 60)
CELERY_BEAT_SCHEDULE["slo.evaluate"] = {
    "task": "slo.evaluate",
    "schedule": float(SLO_EVALUATE_INTERVAL_SECONDS),
    "options": {"expires": SLO_EVALUATE_INTERVAL_SECONDS},
}
