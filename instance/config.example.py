# Copy to instance/config.py and change what you need. Defaults: blog/config.py.
# Every key can also be set from the environment as BLOG_<KEY>, e.g. BLOG_SECRET_KEY=...

# SECRET_KEY = "a long random string"          # default: generated into instance/secret_key
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://blog:secret@localhost/blog"   # default: instance/blog.sqlite
# SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 5, "max_overflow": 5}   # merged over {"pool_pre_ping": True}
# SERVER_THREADS = 8                           # `flask serve` (waitress); production uses gunicorn
# SERVER_CONNECTION_LIMIT = 4000
# SERVER_CONNECTIONS_PER_ADDRESS = 100         # 0: no cap (off anyway behind a trusted proxy)
# SERVER_CHANNEL_TIMEOUT_SECONDS = 15          # idle or half-sent connections are closed after this
# JOBS_INTERVAL_SECONDS = 5
# JOBS_POLL_SECONDS = 1                        # a separate `flask worker` on SQLite looks this often
# LOGIN_MAX_FAILURES = 5
# LOGIN_WINDOW_SECONDS = 900
# SESSION_COOKIE_SECURE = True                 # when the blog is served over https

# Email notifications (Settings -> Discussion, "Email me whenever"): none until MAIL_SERVER is set.
# MAIL_SERVER = "smtp.example.com"
# MAIL_PORT = 587                              # default 25; usually 587 with STARTTLS, 465 with SSL
# MAIL_USE_TLS = True                          # STARTTLS on a plain connection
# MAIL_USE_SSL = False                         # TLS from the first byte (port 465)
# MAIL_USERNAME = "blog@example.com"           # login only when set
# MAIL_PASSWORD = "secret"                     # or BLOG_MAIL_PASSWORD in the environment
# MAIL_SENDER = "My Blog <blog@example.com>"   # default: blog@<the site's host name>
# MAIL_TIMEOUT_SECONDS = 10
# MAIL_MAX_ATTEMPTS = 6                        # a mail the server did not take is retried, then given up
