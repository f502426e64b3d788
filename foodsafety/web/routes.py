"""Page routes: `/` (login, then on by role), `/school/` (the school's view) and `/audit/`
(the auditor's view of the audit log).

The pages are static shells; their ES modules talk to the JSON API with the session cookie.
The inspector's offline app lives in `forms/mobile/` under `/m/`.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template

from foodsafety.accounts.models import Role

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")

HOMES = {Role.INSPECTOR: "/m/", Role.SCHOOL: "/school/", Role.BUREAU: "/stats/", Role.ADMIN: "/stats/",
         Role.AUDITOR: "/audit/"}


@bp.get("/")
def index():
    """The login page; a logged-in user goes on to the screens of their role."""
    user = g.get("user")
    if user is not None and user.role in HOMES:
        return redirect(HOMES[user.role])
    role_label = user.role.label if user is not None else None
    return _page(render_template("web/login.html", user=user, role_label=role_label))


@bp.get("/school/")
def school():
    """The school's view of its canteens' inspections, orders and its supplier."""
    user = g.get("user")
    if user is None or user.role != Role.SCHOOL:
        return redirect("/")
    return _page(render_template("web/school.html"))


@bp.get("/audit/")
def audit():
    """The auditor's page: search and export the audit log of its jurisdiction."""
    user = g.get("user")
    if user is None or user.role != Role.AUDITOR:
        return redirect("/")
    return _page(render_template("web/audit.html", user=user, role_label=user.role.label))


def _page(html: str):
    """Pages carry no data of their own, but are never cached by shared caches."""
    return html, 200, {"Cache-Control": "no-cache, private"}
