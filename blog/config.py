"""Configuration defaults. Override them in instance/config.py or with BLOG_* environment variables."""

# The database. SQLALCHEMY_DATABASE_URI defaults to a SQLite file in the instance folder (set in create_app);
# for PostgreSQL use postgresql+psycopg://user:password@host/dbname.
# SQLALCHEMY_ENGINE_OPTIONS set elsewhere (instance/config.py, BLOG_SQLALCHEMY_ENGINE_OPTIONS as JSON) are
# merged over these, so adding {"pool_size": 10} keeps pool_pre_ping. pool_pre_ping tests a pooled
# connection (one round trip) before handing it out, so one the server dropped (a restart, an idle
# timeout, pg_terminate_backend) is replaced instead of failing a request or a job.
# Connections on PostgreSQL: a process opens one for each of its threads using the database at that moment,
# at most pool_size + max_overflow (SQLAlchemy's defaults: 5 + 10), and keeps up to pool_size of them
# open. A gunicorn sync worker uses one, a threaded one (--threads T) up to T; a job process (`flask
# worker`) one per queue thread plus its wake-up listener, 7; `flask serve` SERVER_THREADS plus 7. Keep the
# sum over all processes below the server's max_connections (100 by default, 3 of them kept for
# superusers), or put PgBouncer in front.
SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
# How long a new PostgreSQL connection may take before it fails (libpq's connect_timeout, unless the URL
# or connect_args set one): a server that drops packets is reported instead of waited on for minutes.
DATABASE_CONNECT_TIMEOUT_SECONDS = 10

# Largest request body we accept at all (a post form with a big Markdown text fits easily).
MAX_CONTENT_LENGTH = 4 * 1024 * 1024
AUTOSAVE_INTERVAL_SECONDS = 30  # the editor autosaves this long after the last change (as WordPress, 60 s there)

# Limits on what people can type.
POST_MAX_CHARS = 500_000
COMMENT_MAX_CHARS = 20_000
TITLE_MAX_CHARS = 250

# Days a post stays in the trash (restorable) before the job layer deletes it permanently, leaving
# only a tombstone so its address keeps answering 410 Gone (as WordPress's EMPTY_TRASH_DAYS).
TRASH_DAYS = 30

# Posts per page of the admin's posts list.
ADMIN_POSTS_PER_PAGE = 20

# URLs in one sitemap file (the protocol's limit is 50,000); more make /sitemap.xml an index of files.
SITEMAP_MAX_URLS = 50_000

# Comment flood control: one comment per address in this many seconds (WordPress uses 15).
COMMENT_FLOOD_SECONDS = 15

# Login attempts: each is counted (before its password is checked) per address in a window of
# LOGIN_WINDOW_SECONDS that starts at the first attempt; past LOGIN_MAX_FAILURES the address is refused
# until the window ends. A successful login clears the count.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 15 * 60

# How often the background jobs of `flask serve` / `flask worker` look for work (scheduled posts, ...)
# when nothing wakes them. A request that queues work wakes its own process's jobs at once, and on
# PostgreSQL every other process's too (NOTIFY blog_jobs). SQLite has no such signal, so there a
# separate `flask worker` looks at the queues requests feed every JOBS_POLL_SECONDS instead (one read
# per queue when idle, no write lock).
JOBS_INTERVAL_SECONDS = 5
JOBS_POLL_SECONDS = 1

# Threads of the waitress server started by `flask serve`.
SERVER_THREADS = 8
# Open connections the server keeps at once, idle ones included (waitress's default, 100, let 100 idle
# sockets from one address keep every reader out). Each takes a file descriptor: `flask serve` raises its
# open files limit to fit, or lowers this to what the hard limit allows, and logs which.
SERVER_CONNECTION_LIMIT = 4000
# Open connections one client address may hold (an IPv6 client's whole /64 counts as one address); more are
# closed as soon as they are accepted. 0: no cap. Off behind a trusted proxy (TRUSTED_PROXY_COUNT), where
# every connection comes from the proxy: cap per client there (nginx limit_conn).
SERVER_CONNECTIONS_PER_ADDRESS = 100
# A connection that sends nothing for this long, idle between requests or stalled halfway through one, is
# closed (waitress's default is 120). A request being answered is never cut off.
SERVER_CHANNEL_TIMEOUT_SECONDS = 15
# How often the server looks for such connections: one lives at most the timeout plus this (waitress: 30).
SERVER_CLEANUP_INTERVAL_SECONDS = 2

# Behind a reverse proxy (nginx, Caddy...), how many proxies to trust for X-Forwarded-For/-Proto/-Host.
# 0: none, the client address is the connecting one. Login lockout and comment flood control go by it.
TRUSTED_PROXY_COUNT = 0

# The full-page cache for anonymous readers (blog/page_cache.py): on or off, and how much each process keeps.
PAGE_CACHE = True
PAGE_CACHE_MAX_BYTES = 16 * 1024 * 1024  # twice: pages as rendered, and as sent to cookieless readers

# gzip for text responses of at least this many bytes, when the client accepts it (off: a proxy in front does it).
COMPRESS_RESPONSES = True
COMPRESS_MIN_BYTES = 500

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

# The delivery queue (blog/jobs/deliveries.py): how many sends run at once, how long a claim
# lasts before another worker may take the row over, and the retry schedule for transient failures
# (1, 2, 4, 8, 16 minutes... capped, until LINKBACK_MAX_ATTEMPTS attempts).
LINKBACK_CONCURRENCY = 8
LINKBACK_LEASE_SECONDS = 300
LINKBACK_MAX_ATTEMPTS = 6
LINKBACK_RETRY_BASE_SECONDS = 60
LINKBACK_RETRY_MAX_SECONDS = 6 * 3600

# Incoming linkbacks (blog/linkbacks/receiving.py): the largest XML-RPC or TrackBack request read,
# and how many pingback/trackback calls per minute one address, or one post, may make.
LINKBACK_REQUEST_MAX_BYTES = 64 * 1024
LINKBACK_PER_ADDRESS_PER_MINUTE = 10
LINKBACK_PER_POST_PER_MINUTE = 30

# Email to the administrator (Settings -> Discussion, "Email me whenever"; blog/notifications.py).
# MAIL_SERVER None: no mail is sent, and those boxes say why. MAIL_USE_TLS upgrades a plain connection
# with STARTTLS (usually port 587); MAIL_USE_SSL speaks TLS from the start (usually port 465). Login
# only when MAIL_USERNAME is set. MAIL_SENDER None: "<blog title> <blog@<the site's host name>>".
# Mail is queued in the database with what it tells of, and sent by the job layer (blog/jobs/mail.py),
# so no visitor waits on the SMTP server and a stopping process loses none.
MAIL_SERVER: str | None = None
MAIL_PORT = 25
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME: str | None = None
MAIL_PASSWORD: str | None = None
MAIL_SENDER: str | None = None
MAIL_TIMEOUT_SECONDS = 10
# A mail the SMTP server did not take is tried again 1, 2, 4, 8, 16 minutes later, then given up (logged).
MAIL_MAX_ATTEMPTS = 6
MAIL_RETRY_BASE_SECONDS = 60
MAIL_RETRY_MAX_SECONDS = 3600

# The spam filter gives no verdict (sends nothing to spam, holds nothing) until the owner's decisions
# have taught it at least this many spam items and as many legitimate ones.
SPAM_FILTER_MIN_EXAMPLES = 10

# Uploaded images (blog/media/): where they are stored (None: the instance folder's "uploads"; a relative
# path is taken from the instance folder), the largest file accepted, the most pixels (width × height; a
# bigger image, such as a decompression bomb, is refused before it is decoded) and animation frames,
# and the widths of the resized copies made for srcset (never wider than the image). An upload request
# may be this much bigger than MAX_CONTENT_LENGTH (the editor sends the post's text along).
UPLOAD_FOLDER: str | None = None
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_MAX_PIXELS = 50_000_000
UPLOAD_MAX_FRAMES = 1000
UPLOAD_VARIANT_WIDTHS = (640, 1280, 1920)

# The author's photo (/admin/profile; blog/profile_photos.py): kept in PROFILE_PHOTO_FOLDER (None: the
# "profile-photos" folder of the instance folder), cut to a square of PROFILE_PHOTO_SIZE pixels, its
# EXIF data dropped. Uploads larger than PROFILE_PHOTO_MAX_BYTES, or with more pixels than
# PROFILE_PHOTO_MAX_PIXELS (a decompression bomb unpacks a small file into gigabytes), are refused.
PROFILE_PHOTO_FOLDER: str | None = None
PROFILE_PHOTO_SIZE = 400
PROFILE_PHOTO_MAX_BYTES = 4 * 1024 * 1024
PROFILE_PHOTO_MAX_PIXELS = 40_000_000

# "Lost your password?" (shown on the login page once MAIL_SERVER is set): the emailed link works once,
# for this long. Requests are limited per address (answered 429 beyond) and per account (beyond that no
# more mail is sent, and the answer stays the same, so it never tells whether an account exists).
PASSWORD_RESET_MAX_AGE_SECONDS = 3600
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 5
PASSWORD_RESET_PER_ACCOUNT_PER_HOUR = 3

# Search (blog/search.py): how much of what is typed in the search box is read; the rest is left out,
# and the results page says so.
SEARCH_MAX_QUERY_CHARS = 200
SEARCH_MAX_TERMS = 20

# Tools -> Import: the largest WordPress export file the page takes (the command line,
# `flask --app blog import-wordpress FILE`, has no limit). Uploads are spooled to a temporary file.
WORDPRESS_IMPORT_MAX_BYTES = 256 * 1024 * 1024
