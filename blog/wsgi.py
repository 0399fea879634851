"""The WSGI entry point for production servers: `gunicorn 'blog.wsgi:app'` (or `gunicorn
'blog:create_app()'`) serves the pages only; run the background jobs beside it with `flask --app
blog worker`."""

from . import create_app
from .server import freeze_startup_objects

app = create_app()
# gunicorn imports this in each worker (or once, before forking, with --preload): either way the app's own
# objects stay out of the garbage collector's full passes (see freeze_startup_objects).
freeze_startup_objects()
