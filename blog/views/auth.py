"""First-run setup, logging in and out."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from .. import auth, password_reset
from ..admin_forms import LostPasswordForm, ResetPasswordForm
from ..forms import LoginForm, SetupForm
from ..jobs import wake_jobs
from ..models import utcnow
from ..permalinks import local_path_or_none
from ..templating import format_datetime

bp = Blueprint("auth", __name__)


@bp.context_processor
def _password_resets():
    return {"password_resets": password_reset.resets_available()}


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
        return redirect(url_for("dashboard.index"))
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
            return redirect(local_path_or_none(request.args.get("next")) or url_for("dashboard.index"))
        flash("Unknown username or wrong password.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.get("/logout")
def confirm_logout():
    """Typed into the address bar, or followed from a bookmark: a link must not log anyone out (another site
    could make the browser follow it), so this asks, as WordPress's "Do you really want to log out?" does."""
    if not current_user.is_authenticated:
        return redirect(url_for("public.index"))
    return render_template("auth/logout.html"), 200, {"Cache-Control": "no-store"}


@bp.post("/logout")
def logout():
    # No login required: logging out twice (say from a second tab) simply ends up at home,
    # instead of a login page that would then send the user on to GET /logout.
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("public.index"))



NO_STORE = {"Cache-Control": "no-store"}  # the reset link's page: never kept by a browser or proxy
SENT = ("If that is the username or email address of an account here, a link to choose a new password is on its way "
        "to the account's email address. It works once, within the hour.")


@bp.route("/login/lost-password", methods=["GET", "POST"])
def lost_password():
    if not password_reset.resets_available():
        abort(404)  # without mail there is no way to send the link
    form = LostPasswordForm()
    if form.validate_on_submit():
        try:
            password_reset.request_reset(form.name.data, request.remote_addr or "")
        except password_reset.TooManyRequests as error:
            form.name.errors.append(str(error))
            return render_template("auth/lost_password.html", form=form), 429
        wake_jobs("mail")
        flash(SENT, "info")  # the same whether or not an account matched
        return redirect(url_for("auth.login"))
    return render_template("auth/lost_password.html", form=form), 400 if form.errors else 200


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    form = ResetPasswordForm()
    try:
        password_reset.check_token(token)
    except password_reset.ResetRefused as error:
        return render_template("auth/reset_password.html", form=None, refused=str(error)), 400, NO_STORE
    if form.validate_on_submit():
        try:
            password_reset.reset_password(token, form.new_password.data)
        except password_reset.ResetRefused as error:
            return render_template("auth/reset_password.html", form=None, refused=str(error)), 400, NO_STORE
        logout_user()  # whoever this browser was logged in as, it now logs in with the new password
        flash("Your password has been reset. Log in with your new password.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form, refused=None), 400 if form.errors else 200, NO_STORE
