"""The WSGI entry point for production servers: `gunicorn 'blog.wsgi:app'` (or `gunicorn
'blog:create_app()'`) serves the pages only; run the background jobs beside it with `flask --app
blog worker`."""

from . import create_app

app = create_app()
