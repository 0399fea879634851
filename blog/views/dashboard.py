"""The dashboard at /admin ("At a glance"), where logging in leads, and its quick draft form."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from .. import dashboard
from ..admin_forms import QuickDraftForm
from ..auth import require_login
from ..linkbacks.outbox import STATUS_WORDS
from ..posts import PostInput, save_post

bp = Blueprint("dashboard", __name__, url_prefix="/admin")

require_login(bp)


def _admin_list(path: str) -> str | None:
    """`path` when the admin has a page there (the pages list arrives with the pages feature)."""
    try:
        current_app.url_map.bind_to_environ(request.environ).match(path, method="GET")
    except RequestRedirect as redirected:
        return redirected.new_url
    except HTTPException:
        return None
    return path


def _render(form: QuickDraftForm, status: int = 200):
    deliveries, troubled_total = dashboard.troubled_deliveries()
    return render_template(
        "dashboard/index.html",
        glance=dashboard.at_a_glance(),
        pages_url=_admin_list("/admin/pages"),
        mentions=dashboard.latest_mentions(),
        deliveries=deliveries,
        troubled_total=troubled_total,
        status_words=STATUS_WORDS,
        scheduled=dashboard.scheduled_posts(),
        drafts=dashboard.recent_drafts(),
        form=form,
    ), status


@bp.get("/")
def index():
    return _render(QuickDraftForm(formdata=None))


@bp.post("/quick-draft")
def quick_draft():
    form = QuickDraftForm()
    if not form.validate():
        return _render(form, 400)
    post = save_post(None, PostInput(title=form.title.data, body=form.body.data or ""), publish=False,
                     author=current_user._get_current_object())
    flash(f"Draft saved: “{post.title}”.", "success")
    return redirect(url_for("dashboard.index") + "#quick-draft")
