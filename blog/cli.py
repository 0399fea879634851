"""Flask commands: `serve` (web server plus background jobs), `worker` (jobs only), `create-admin`,
`retrain-spam`, `import-wordpress`, `export-wordpress`."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .copy_database import copy_database_command
from .database import check_database
from .jobs import JobRunner, run_until_idle


def register_commands(app: Flask) -> None:
    app.cli.add_command(serve)
    app.cli.add_command(worker)
    app.cli.add_command(create_admin)
    app.cli.add_command(copy_database_command)
    app.cli.add_command(retrain_spam)
    app.cli.add_command(import_wordpress_command)
    app.cli.add_command(export_wordpress_command)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-jobs", is_flag=True, help="Serve pages only; run `flask worker` separately.")
@with_appcontext
def serve(host: str, port: int, no_jobs: bool) -> None:
    """Serve the blog with waitress, and run the background jobs beside it."""
    from .server import serve_blog

    check_database()  # a wrong or unreachable database: one line, exit status 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    runner = None
    if not no_jobs:
        runner = JobRunner(app, app.config["JOBS_INTERVAL_SECONDS"])
        runner.start()
    click.echo(f"Serving the blog at http://{host}:{port}/ (Ctrl-C to stop)")
    _stop_on_sigterm()
    try:
        serve_blog(app, host, port)
    finally:
        if runner is not None:
            runner.stop()


def _stop_on_sigterm() -> None:
    """SIGTERM (systemd's stop, docker stop) ends the process as Ctrl-C does: the runner is stopped
    and what it holds is released, instead of the process dying mid-item."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)


@click.command()
@click.option("--once", is_flag=True, help="Run the due jobs until none is left, then exit (for cron).")
@with_appcontext
def worker(once: bool) -> None:
    """Run the background jobs (scheduled posts, ...) in their own process."""
    check_database()  # a wrong or unreachable database: one line, exit status 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if once:
        done = run_until_idle()
        click.echo(", ".join(f"{k}: {v}" for k, v in done.items()))
        return
    app = current_app._get_current_object()
    # No request of this process wakes it: on SQLite it polls the queues requests feed.
    runner = JobRunner(app, app.config["JOBS_INTERVAL_SECONDS"], poll_seconds=app.config["JOBS_POLL_SECONDS"])
    _stop_on_sigterm()
    try:  # a stop that arrives while the runner starts is a clean stop too
        runner.start()
        click.echo("Running background jobs (Ctrl-C to stop)")
        while runner.is_alive():
            runner.join(1)
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()


@click.command("create-admin")
@click.option("--blog-title", prompt=True)
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.password_option()
@with_appcontext
def create_admin(blog_title: str, username: str, email: str, password: str) -> None:
    """Do the first-run setup from the command line."""
    from .auth import SetupAlreadyDone, create_administrator

    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="password")
    try:
        create_administrator(blog_title, username, password, email)
    except SetupAlreadyDone as error:
        raise click.ClickException("This blog already has an administrator.") from error
    click.echo(f"Administrator {username} created.")


@click.command("retrain-spam")
@with_appcontext
def retrain_spam() -> None:
    """Rebuild the spam filter from every decision stored (Approve, Spam, Not spam)."""
    from .spam.training import retrain

    check_database()
    done = retrain()
    click.echo(f"The spam filter learned from {done.spam} spam and {done.ham} legitimate items "
               f"({done.added} found in the moderation history); {done.tokens} tokens.")


@click.command("import-wordpress")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def import_wordpress_command(file) -> None:
    """Import a WordPress export (WXR, from WordPress's Tools → Export): posts, tags, comments,
    pingbacks and trackbacks. Notifies no one; importing the same file again changes nothing."""
    from .wordpress.wxr_import import import_wordpress
    from .wordpress.wxr_reader import WxrError

    check_database()
    try:
        report = import_wordpress(file, progress=lambda n: click.echo(f"… {n} entries read", err=True))
    except WxrError as error:
        raise click.ClickException(f"{error} Nothing was imported.") from error
    click.echo(report.as_text())


@click.command("export-wordpress")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True), default="-")
@click.option("--site-url", help="The blog's address, when Settings → General has none recorded yet.")
@with_appcontext
def export_wordpress_command(file, site_url: str | None) -> None:
    """Write the whole blog as a WordPress export (WXR 1.2) to FILE, or to standard output: posts,
    drafts, tags, comments, pingbacks, trackbacks, webmentions, and what was sent for each post."""
    from contextlib import nullcontext

    from .site_settings import get_setting
    from .wordpress.wxr_export import write_wxr

    check_database()
    recorded = get_setting("site_url")
    if not recorded and not site_url:
        raise click.ClickException("The export's links need the blog's address, and none is recorded yet "
                                   "(Settings → General → Site URL): give it with --site-url https://blog.example")
    context = nullcontext() if recorded else current_app.test_request_context(base_url=site_url)
    with context:
        for chunk in write_wxr():
            file.write(chunk)
