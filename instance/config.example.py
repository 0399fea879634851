# Copy to instance/config.py and change what you need. Defaults: blog/config.py.
# Every key can also be set from the environment as BLOG_<KEY>, e.g. BLOG_SECRET_KEY=...

# SECRET_KEY = "a long random string"          # default: generated into instance/secret_key
# SQLALCHEMY_DATABASE_URI = "postgresql://blog:secret@localhost/blog"   # default: instance/blog.sqlite
# SERVER_THREADS = 8
# JOBS_INTERVAL_SECONDS = 5
# LOGIN_MAX_FAILURES = 5
# LOGIN_WINDOW_SECONDS = 900
# SESSION_COOKIE_SECURE = True                 # when the blog is served over https
