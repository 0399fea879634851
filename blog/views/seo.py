"""What crawlers and browsers ask for by name: /sitemap.xml (and its numbered files when large),
/robots.txt and /favicon.ico."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, send_from_directory, stream_template

from .. import sitemap
from ..permalinks import absolute_url_for

bp = Blueprint("seo", __name__)

XML = "application/xml"


@bp.get("/sitemap.xml")
def sitemap_xml():
    pages = sitemap.page_count()
    if pages == 1:
        return Response(stream_template("seo/sitemap.xml", urls=sitemap.sitemap_page(1)), mimetype=XML)
    files = [absolute_url_for("seo.sitemap_file", page=n) for n in range(1, pages + 1)]
    return Response(render_template("seo/sitemap_index.xml", files=files), mimetype=XML)


@bp.get("/sitemap-<int:page>.xml")
def sitemap_file(page):
    if not 1 <= page <= sitemap.page_count():
        abort(404)
    return Response(stream_template("seo/sitemap.xml", urls=sitemap.sitemap_page(page)), mimetype=XML)


@bp.get("/robots.txt")
def robots_txt():
    text = f"User-agent: *\nDisallow: /admin/\n\nSitemap: {absolute_url_for('seo.sitemap_xml')}\n"
    return Response(text, mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)
