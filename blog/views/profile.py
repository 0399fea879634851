"""The author's profile at /admin/profile: display name, email, website, photo and password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_user, logout_user

from ..admin_forms import ProfileForm
from ..auth import require_login
from ..profile_photos import file_size
from ..profiles import LoginEnded, ProfileInput, ProfileRefused, update_profile

bp = Blueprint("profile", __name__, url_prefix="/admin")

require_login(bp)

NO_STORE = {"Cache-Control": "no-store"}  # the page may hold what was typed in its password fields


def _blank_form() -> ProfileForm:
    user = current_user
    return ProfileForm(formdata=None, display_name=user.display_name, email=user.email, website=user.website)


def _render(form: ProfileForm, status: int = 200):
    return render_template("profile/edit_profile.html", form=form, user=current_user), status, NO_STORE


@bp.route("/profile", methods=["GET", "POST"])
def edit_profile():
    form = ProfileForm()
    if not form.is_submitted():
        return _render(_blank_form())
    if not form.validate():
        return _render(form, 400)
    user = current_user._get_current_object()
    upload = form.photo.data
    data = ProfileInput(
        display_name=form.display_name.data or "", email=form.email.data or "", website=form.website.data or "",
        current_password=form.current_password.data or "", new_password=form.new_password.data or "",
        photo=upload.stream if upload else None, remove_photo=form.remove_photo.data,
    )
    try:
        saved = update_profile(user, data)
    except ProfileRefused as refused:
        getattr(form, refused.field).errors.append(str(refused))
        return _render(form, 400)
    except LoginEnded:
        logout_user()
        flash("Your password was changed from another session meanwhile, so this login has ended. "
              "Log in with the new password.", "error")
        return redirect(url_for("auth.login"))
    if saved.password_changed:
        login_user(user)  # this browser stays logged in under the new session version
        flash("Profile updated. Your password was changed: you were logged out everywhere else.", "success")
    else:
        flash("Profile updated.", "success")
    return redirect(url_for("profile.edit_profile"))


@bp.errorhandler(413)
def too_large(error):
    """An upload over MAX_CONTENT_LENGTH: the form (its values as stored) with the reason beside
    the photo field, instead of a bare error page."""
    form = _blank_form()
    limit = file_size(current_app.config["MAX_CONTENT_LENGTH"])
    form.photo.errors = [f"The photo is too large: everything sent at once must stay under {limit}. "
                         "Choose a smaller photo."]
    return _render(form, 413)
