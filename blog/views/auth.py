"""First-run setup, logging in and out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from .. import auth
from ..forms import LoginForm, SetupForm
from ..models import utcnow
from ..permalinks import local_path_or_none
from ..templating import format_datetime

bp = Blueprint("auth", __name__)


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    if not auth.needs_setup():
        if request.method == "POST":
            return render_template("auth/setup_done.html"), 403
        return redirect(url_for("auth.login"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            user = auth.create_administrator(
                form.blog_title.data.strip(), form.username.data.strip(), form.password.data, form.email.data,
                site_url=request.host_url,  # the address the owner reached setup at (Settings -> General)
            )
        except auth.SetupAlreadyDone:
            return render_template("auth/setup_done.html"), 403
        login_user(user)
        flash("Your blog is ready. Write your first post!", "success")
        return redirect(url_for("editor.new_post"))
    # The refused form keeps the typed password, so the page must not be stored anywhere.
    return render_template("auth/setup.html", form=form), 400 if form.errors else 200, {"Cache-Control": "no-store"}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("editor.posts"))
    form = LoginForm()
    ip = request.remote_addr or ""
    if form.validate_on_submit():
        until = auth.login_refused_until(ip)
        if until is not None:
            minutes = max(1, round((until - utcnow()).total_seconds() / 60))
            flash(
                f"Too many failed login attempts from your address. Try again in about {minutes} "
                f"minute{'s' if minutes != 1 else ''} (after {format_datetime(until)}).",
                "error",
            )
            return render_template("auth/login.html", form=form), 429
        user = auth.authenticate(form.username.data.strip(), form.password.data)
        if user is not None:
            auth.clear_login_failures(ip)
            login_user(user)
            return redirect(local_path_or_none(request.args.get("next")) or url_for("editor.posts"))
        flash("Unknown username or wrong password.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    # No login required: logging out twice (say from a second tab) simply ends up at home,
    # instead of a login page that would then send the user on to GET /logout.
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("public.index"))

