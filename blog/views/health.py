"""GET /healthz for load balancers and monitors: JSON, no login, no setup redirect, never cached;
200 when the database answers (with the age of the oldest overdue job), 503 when it does not."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..health import read_health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    health = read_health()
    response = jsonify(health.as_json())
    response.status_code = 200 if health.is_healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
