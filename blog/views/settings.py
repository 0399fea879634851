"""Settings pages. General now; Discussion joins it with the linkback work."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from ..auth import require_login
from ..forms import GeneralSettingsForm
from ..site_settings import get_settings, save_settings

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")

GENERAL_FIELDS = ("blog_title", "tagline", "site_url", "posts_per_page", "timezone")


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
