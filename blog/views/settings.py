"""Settings pages: General, Reading and Discussion."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from ..auth import require_login
from ..discussion import apply_defaults_to_all_posts
from ..forms import DiscussionSettingsForm, GeneralSettingsForm, ReadingSettingsForm
from ..notifications import mail_configured
from ..posts import count_posts
from ..site_settings import get_settings, save_settings
from ..spam.classifier import trained_totals

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")

GENERAL_FIELDS = ("blog_title", "tagline", "site_url", "timezone")


require_login(bp)


@bp.get("/")
def index():
    return redirect(url_for("settings.general"))


@bp.route("/general", methods=["GET", "POST"])
def general():
    current = get_settings()
    form = GeneralSettingsForm(data={name: current[name] for name in GENERAL_FIELDS})
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in GENERAL_FIELDS}
        values["blog_title"] = values["blog_title"].strip()
        values["tagline"] = (values["tagline"] or "").strip()
        values["site_url"] = (values["site_url"] or "").strip().rstrip("/")
        save_settings(values)
        flash("Settings saved.", "success")
        return redirect(url_for("settings.general"))
    return render_template("settings/general.html", form=form), 400 if form.errors else 200


@bp.route("/reading", methods=["GET", "POST"])
def reading():
    form = ReadingSettingsForm.from_settings(get_settings())
    if form.validate_on_submit():
        save_settings(form.values())
        flash("Settings saved.", "success")
        return redirect(url_for("settings.reading"))
    return render_template("settings/reading.html", form=form), 400 if form.errors else 200


MAIL_SETTINGS = ("comments_notify", "pings_notify", "moderation_notify")


@bp.route("/discussion", methods=["GET", "POST"])
def discussion():
    current = get_settings()
    form = DiscussionSettingsForm(data=current)
    names = [name for name in form._fields if name not in ("csrf_token", "submit")]
    can_mail = mail_configured(current_app.config)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in names}
        if not can_mail:  # the boxes are disabled, so the browser sent nothing for them
            for name in MAIL_SETTINGS:
                values.pop(name)
        save_settings(values)
        flash("Settings saved.", "success")
        return redirect(url_for("settings.discussion"))
    status = 400 if form.errors else 200
    return render_template("settings/discussion.html", form=form, can_mail=can_mail, spam_totals=trained_totals(),
                           spam_min_examples=current_app.config["SPAM_FILTER_MIN_EXAMPLES"]), status


@bp.route("/discussion/apply-defaults", methods=["GET", "POST"])
def apply_defaults():
    if request.method == "GET":
        return render_template("settings/apply_defaults.html", count=count_posts())
    count = apply_defaults_to_all_posts()
    flash(f"The defaults now apply to all {count} post{'s' if count != 1 else ''}.", "success")
    return redirect(url_for("settings.discussion"))
