"""Configuration defaults. Override them in instance/config.py or with BLOG_* environment variables."""

# SQLALCHEMY_DATABASE_URI defaults to a SQLite file in the instance folder (set in create_app).
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

# Largest request body we accept at all (a post form with a big Markdown text fits easily).
MAX_CONTENT_LENGTH = 4 * 1024 * 1024

# Limits on what people can type.
POST_MAX_CHARS = 500_000
COMMENT_MAX_CHARS = 20_000
TITLE_MAX_CHARS = 250

# Comment flood control: one comment per address in this many seconds (WordPress uses 15).
COMMENT_FLOOD_SECONDS = 15

# Failed logins: after LOGIN_MAX_FAILURES failures from one address within LOGIN_WINDOW_SECONDS,
# that address is refused until the window has passed.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 15 * 60

# How often the background jobs of `flask serve` / `flask worker` look for work (scheduled posts, ...).
JOBS_INTERVAL_SECONDS = 5

# Threads of the waitress server started by `flask serve`.
SERVER_THREADS = 8

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: no "form expired" after a long edit

# Outbound HTTP for linkbacks (blog/linkbacks/http.py): every discovery, sending and verification
# request obeys these. Private and loopback addresses are refused unless LINKBACK_ALLOW_PRIVATE.
LINKBACK_CONNECT_TIMEOUT_SECONDS = 5
LINKBACK_READ_TIMEOUT_SECONDS = 10
LINKBACK_TOTAL_TIMEOUT_SECONDS = 20
LINKBACK_MAX_BYTES = 1_000_000
LINKBACK_MAX_REDIRECTS = 5
LINKBACK_ALLOW_PRIVATE = False
LINKBACK_ALLOWED_NETWORKS: list[str] = []  # non-public networks to allow anyway, e.g. ["10.0.0.0/8"]
