"""Default settings. Every key can be overridden from the environment as FLASK_<KEY>."""
import os
import secrets
from datetime import timedelta

from core.database import database_url


class Config:
    """Defaults for a one-machine install; see README "Configuration"."""

    # Generated into the instance folder on first run when not given.
    SECRET_KEY: str | None = None
    # True in production: Secure cookies, and an explicit SECRET_KEY is required.
    PRODUCTION = False

    # None means SQLite in the instance folder; DATABASE_URL overrides.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # A pooled connection unused for longer than this (seconds) is tested before use
    # (core/database.check_liveness); PostgreSQL only, SQLite has no server to lose.
    DATABASE_PING_AFTER = 0.5
    REDIS_URL: str | None = None

    # Mail: with no MAIL_SERVER, mails are written to the log instead.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Parley <noreply@localhost>"
    MAIL_TIMEOUT = 10  # seconds, for connecting and for each SMTP reply
    # Mail leaves after the answer (core/outbox.py); a failed delivery is tried again.
    MAIL_SEND_ATTEMPTS = 3  # tries in all
    MAIL_RETRY_DELAY = 2.0  # seconds before the second try, doubled before each next one

    # Hosts that mails may link to; None accepts any Host header (development).
    TRUSTED_HOSTS: list[str] | None = None
    # Number of proxies in front of the app setting X-Forwarded-For/-Proto.
    PROXY_COUNT = 0

    # Cookies and sessions.
    SESSION_COOKIE_NAME = "parley_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)  # "remember me"
    BROWSER_SESSION_LIFETIME = timedelta(days=2)  # without "remember me", server side
    SESSION_TOUCH_INTERVAL = 60  # seconds between "last seen" writes
    # Seconds a worker remembers whom a session or token belongs to (0: read it every request).
    # Revocations reach every worker at once through the broker, and within a second without
    # it (blueprints/auth/cache.py).
    AUTH_CACHE_SECONDS = 300.0

    # Password hashing: argon2id (RFC 9106 §4, second recommended option).
    ARGON2_TIME_COST = 3  # passes
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4

    # CSRF tokens live as long as the session, so a tab left open can still post.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_CHECK_DEFAULT = False  # checked in a before_request hook, Bearer tokens exempt

    # Email codes.
    CODE_TTL = 600  # seconds
    CODE_MAX_ATTEMPTS = 5
    CODE_RESEND_INTERVAL = 60  # seconds, per address and purpose

    # Rate limits (Flask-Limiter notation).
    RATELIMIT_STORAGE_URI: str | None = None  # memory:// or REDIS_URL
    # Off: Flask-Limiter would put Retry-After (its window's end) on every limited response and
    # overwrite the shorter wait of a refused code resend; the 429 handlers set it themselves.
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_KEY_PREFIX = "parley"
    # While Redis is unreachable, count in each worker's memory instead of failing every
    # limited request (sending a message among them) with a 500; Redis is only a carrier.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # A hung Redis holds a limited request at most this long (seconds) before it falls back:
    # nothing on the send path waits on Redis longer (core/ratelimit.py).
    RATELIMIT_STORAGE_OPTIONS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 5 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 5 minutes"
    CODE_LIMIT_PER_ADDRESS = "20 per hour"  # codes mailed per client address, on each page that mails one
    # Per person, on every action that records an event (core/ratelimit.py); 429 beyond them.
    TYPING_LIMIT = "30 per minute"  # typing notices; the chat page sends one at most every 3 s
    FRIEND_REQUEST_LIMIT = "20 per hour"  # friend requests sent or renewed
    FRIEND_REQUEST_PAIR_LIMIT = "3 per day"  # of them to one person (renewals, asking after a rejection)
    PROFILE_CHANGE_LIMIT = "10 per hour"  # nickname and avatar changes together
    GROUP_RENAME_LIMIT = "10 per hour"
    # Every other action that records an event (groups, friend-request answers, friends,
    # favorites, recall), all in one budget; read positions have a budget of this size of their own.
    ACTION_LIMIT = "120 per minute"
    SEARCH_LIMIT = "60 per minute"  # searches per person, the page and the API together

    # Uploads.
    MAX_CONTENT_LENGTH = 60 * 1024 * 1024  # bytes, whole request (above FILE_MAX_BYTES)
    AVATAR_MAX_BYTES = 5 * 1024 * 1024
    IMAGE_MAX_BYTES = 10 * 1024 * 1024  # an image sent in chat
    FILE_MAX_BYTES = 50 * 1024 * 1024  # any other file sent in chat
    UPLOAD_QUOTA_BYTES = 1024 * 1024 * 1024  # per person: what they have sent and not recalled
    THUMBNAIL_SIZE = 320  # pixels, the box a chat thumbnail fits in
    AVATAR_SIZE = 256  # pixels, square
    MAX_IMAGE_PIXELS = 40_000_000  # Pillow's decompression-bomb guard
    UPLOAD_FOLDER: str | None = None  # None: <instance>/uploads
    # Folder of the generated secret key, the default SQLite file and uploads; None: instance/.
    INSTANCE_PATH: str | None = None

    # Live delivery (Server-Sent Events and long-polling).
    BROKER_CHANNEL = "parley:events"  # the Redis pub/sub channel (one per Parley site)
    EVENT_HEARTBEAT = 15  # seconds between heartbeats (a comment line and a `ping` event)
    EVENT_STREAM_MAX_AGE = 600  # seconds before a stream ends itself (less up to 10%); clients resume
    EVENT_RETRY = 2000  # milliseconds, the SSE `retry:` a browser waits before reconnecting
    PRESENCE_BATCH = 1.0  # seconds presence frames are gathered, each stream's sent in one write
    READ_FLUSH = 1.0  # seconds read positions moved by viewing pages are gathered before one write
    EVENT_RETENTION_DAYS = 30  # `flask events prune` keeps this many days
    EVENT_REPLAY_LIMIT = 1000  # events sent per replay batch
    POLL_TIMEOUT = 25  # seconds a long-poll waits by default (at most POLL_TIMEOUT_MAX)
    POLL_TIMEOUT_MAX = 30
    CHAT_FORCE_LONG_POLL = False  # pages use long-polling only (for proxies that break streams)

    # Messages.
    MESSAGE_RATE_LIMIT = "30 per 10 seconds"  # sends per person, text and attachments together
    RECALL_WINDOW = 120  # seconds after sending during which the sender can recall a message
    FAVORITES_PER_PAGE = 20
    EDIT_WINDOW = 24 * 3600  # seconds after sending during which the sender can edit a text message
    REACTIONS_MAX = 20  # distinct emoji on one message
    PINS_MAX = 50  # pinned messages in one conversation
    FORWARD_MAX_MESSAGES = 30  # messages forwarded together
    FORWARD_MAX_CONVERSATIONS = 10  # conversations forwarded to at once
    VOICE_MAX_SECONDS = 60  # length of a recorded voice message
    VOICE_MAX_BYTES = 5 * 1024 * 1024  # bytes of a voice message

    # Web Push (blueprints/push): notifications of direct messages and mentions to closed tabs.
    # The VAPID key (RFC 8292) that signs every push: a PEM, or the base64url of its DER or raw
    # 32 bytes; None: generated once into <instance>/vapid_private_key.pem. Give every host the
    # same key: browsers subscribed with its public key.
    VAPID_PRIVATE_KEY: str | None = None
    VAPID_SUBJECT = "mailto:postmaster@localhost"  # how a push service reaches the operator
    # Push services a subscription may name (its endpoint's host; "*." matches any subdomain):
    # the browsers' own, so that no one can make the server post to an address of their choice.
    WEB_PUSH_HOSTS = ["fcm.googleapis.com", "updates.push.services.mozilla.com", "*.notify.windows.com",
                      "web.push.apple.com", "*.push.apple.com"]
    WEB_PUSH_ALLOW_HTTP = False  # plain-http endpoints (tests' local push service only)
    WEB_PUSH_TTL = 24 * 3600  # seconds a push service keeps a notification for a device that is off
    WEB_PUSH_TIMEOUT = 10.0  # seconds for a push service to answer
    WEB_PUSH_MAX_PER_PERSON = 10  # subscriptions a person keeps; a new one beyond replaces the oldest
    # Sends in a row that never reach a subscription's push service (connection refused, DNS,
    # timeout) before it is forgotten: a dead endpoint cannot keep slowing the process's one sender.
    WEB_PUSH_MAX_FAILURES = 3

    # Groups.
    GROUP_MAX_MEMBERS = 500

    # Languages.
    LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    # JSON API (flask-smorest).
    API_TITLE = "Parley API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    # The document says how to log in, as README does: every operation takes either.
    API_SPEC_OPTIONS = {
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A personal access token, made on the profile page"},
            "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE_NAME,
                              "description": "The pages' session; writes also need the page's "
                                             "CSRF token in X-CSRFToken"},
        }},
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    }


# A key must take zxcvbn at least this many guesses (log10): 10^26 is about 2^86, beyond any
# offline search of a signed cookie; a random token_hex(16) scores 28 or more, 'changeme' * 4
# scores 3.
SECRET_KEY_MIN_GUESSES_LOG10 = 26
WEAK_KEY_ADVICE = ('set FLASK_SECRET_KEY to a random value of at least 32 characters, the same '
                   'on every host, for example the output of '
                   '`python3 -c "import secrets; print(secrets.token_hex(32))"`')


class ConfigError(RuntimeError):
    """The configuration cannot be used (for example production with a default SECRET_KEY)."""


def _secret_key_file(instance_path: str) -> str:
    """Return the key kept in `<instance>/secret_key`, creating it (mode 600) on first run."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
    with open(path) as handle:
        return handle.read().strip()


def check_secret_key(key) -> None:
    """Accept `key` (a str, or bytes) as a production SECRET_KEY, or raise ConfigError saying
    why not and how to make a good one: missing, under 32 characters, or guessable (too little
    entropy by zxcvbn's estimate: repeats, sequences, keyboard runs, words)."""
    if not key:
        raise ConfigError(f"PRODUCTION is on but SECRET_KEY is not set: {WEAK_KEY_ADVICE}.")
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if len(key) < 32:
        raise ConfigError(f"PRODUCTION is on but SECRET_KEY has only {len(key)} characters: "
                          f"{WEAK_KEY_ADVICE}.")
    from zxcvbn import zxcvbn  # only in production: it loads its word lists

    # zxcvbn's cost grows with length; the first 100 characters tell a pattern well enough.
    if zxcvbn(key[:100])["guesses_log10"] < SECRET_KEY_MIN_GUESSES_LOG10:
        raise ConfigError("PRODUCTION is on but SECRET_KEY is easy to guess (repeated or common "
                          f"text, too little randomness): {WEAK_KEY_ADVICE}.")


def configure(app, overrides: dict | None = None) -> None:
    """Load settings into `app.config`: defaults, then FLASK_* environment variables (values
    parsed as JSON where they parse), DATABASE_URL and REDIS_URL, then `overrides`.

    Raises ConfigError when PRODUCTION is on and SECRET_KEY was not given or is weak.
    """
    app.config.from_object(Config)
    app.config.from_prefixed_env()
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    if overrides:
        app.config.from_mapping(overrides)
    if app.config["INSTANCE_PATH"]:
        app.instance_path = os.path.abspath(app.config["INSTANCE_PATH"])
    os.makedirs(app.instance_path, exist_ok=True)

    key = app.config.get("SECRET_KEY")
    if app.config["PRODUCTION"]:
        check_secret_key(key)
        app.config["SESSION_COOKIE_SECURE"] = True
    elif not key:
        app.config["SECRET_KEY"] = _secret_key_file(app.instance_path)

    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path
    )
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
