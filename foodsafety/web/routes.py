"""Page routes: `/` (login, then on by role), `/school/` (the school's view), the desk
(`/desk/…`: the lists, unit and school pages of bureaus and admins) and `/audit/` (the auditor's
view of the audit log, in the desk's layout).

The pages are static shells; their ES modules talk to the JSON API with the session cookie.
The inspector's offline app lives in `forms/mobile/` under `/m/`.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, send_from_directory

from foodsafety.accounts.models import Role
from foodsafety.registry import services as registry

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")

HOMES = {Role.INSPECTOR: "/m/", Role.SCHOOL: "/school/", Role.BUREAU: "/stats/", Role.ADMIN: "/stats/",
         Role.AUDITOR: "/audit/"}


DESK_ROLES = (Role.BUREAU, Role.ADMIN)
# The desk's navigation, by role: (path, label, roles). Only screens that exist are linked.
NAV = (
    ("/m/", "现场检查", (Role.INSPECTOR,)),
    ("/stats/", "统计", DESK_ROLES + (Role.INSPECTOR,)),
    ("/desk/inspections", "检查记录", DESK_ROLES),
    ("/desk/orders", "整改通知", DESK_ROLES),
    ("/desk/cases", "立案", DESK_ROLES),
    ("/desk/units", "单位", DESK_ROLES),
    ("/desk/schools", "学校", DESK_ROLES),
    ("/desk/supply-links", "供餐关系", DESK_ROLES),
    ("/desk/users", "用户", (Role.ADMIN,)),
    ("/desk/imports", "导入", (Role.ADMIN,)),
    ("/audit/", "审计日志", (Role.AUDITOR,)),
)
# The list screens: path segment → the heading.
LISTS = {"inspections": "检查记录", "orders": "整改通知", "cases": "立案查处", "units": "单位",
         "schools": "学校", "supply-links": "供餐关系"}


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
    return desk_page("web/audit.html", "audit", "审计日志", roles=(Role.AUDITOR,))


@bp.get("/desk/")
def desk_home():
    """The desk opens on the rectification orders (what needs following up)."""
    return redirect("/desk/orders" if _desk_user() else "/")


@bp.get("/desk/<any(inspections, orders, cases, units, schools, \"supply-links\"):screen>")
def desk_list(screen: str):
    """A list screen of the desk: filters, sorting, pages and the Excel export, over the API."""
    return desk_page("web/desk.html", screen, LISTS[screen])


@bp.get("/desk/units/<int:unit_id>")
def desk_unit(unit_id: int):
    """A unit's page: registration, licence, supply, inspections, orders and cases."""
    if not _desk_user():
        return redirect("/")
    registry.get_unit(g.user, unit_id)  # out of scope: the same 404 as a missing unit
    return desk_page("web/desk.html", "unit", "单位档案", object_id=unit_id)


@bp.get("/desk/schools/<int:school_id>")
def desk_school(school_id: int):
    """A school's page: its canteens, suppliers and their whole history."""
    if not _desk_user():
        return redirect("/")
    registry.get_school(g.user, school_id)
    return desk_page("web/desk.html", "school", "学校档案", object_id=school_id)


# --- administration (admins only): users, the import, the registry's forms --------------------
# Shells like the rest of the desk; admin.js builds them over /api/v1/users, /api/v1/imports and
# the registry's API, which check the role and the jurisdiction of every write.
ADMIN_SCREENS = {"users": "用户管理", "imports": "批量导入"}
ADMIN_ONLY = (Role.ADMIN,)
REGISTRY_FORMS = {"schools": ("school", "学校"), "units": ("unit", "单位"),
                  "supply-links": ("link", "供餐关系")}


@bp.get("/desk/<any(users, imports):screen>")
def desk_admin(screen: str):
    """An administration screen: users (create, edit, sessions) or the import of the template."""
    if not _admin_user():
        return redirect("/")
    return desk_page("web/admin.html", screen, ADMIN_SCREENS[screen], roles=ADMIN_ONLY)


@bp.get("/desk/<any(schools, units, \"supply-links\"):kind>/new")
def desk_registry_new(kind: str):
    """The form that registers a school, a unit or a supply link."""
    if not _admin_user():
        return redirect("/")
    form, noun = REGISTRY_FORMS[kind]
    return desk_page("web/admin.html", f"{form}-form", f"新建{noun}", roles=ADMIN_ONLY)


@bp.get("/desk/supply-links/<int:link_id>/end")
def desk_link_end(link_id: int):
    """The form that ends a supply link (sets its last day), or changes or clears that end."""
    if not _admin_user():
        return redirect("/")
    registry.get_link(g.user, link_id)
    return desk_page("web/admin.html", "link-end", "结束供餐关系", object_id=link_id, roles=ADMIN_ONLY)


@bp.get("/desk/schools/<int:school_id>/edit")
def desk_school_edit(school_id: int):
    """The form that corrects a school's registration."""
    if not _admin_user():
        return redirect("/")
    registry.get_school(g.user, school_id)
    return desk_page("web/admin.html", "school-form", "编辑学校", object_id=school_id, roles=ADMIN_ONLY)


@bp.get("/desk/units/<int:unit_id>/edit")
def desk_unit_edit(unit_id: int):
    """The form that corrects a unit's registration and licence."""
    if not _admin_user():
        return redirect("/")
    registry.get_unit(g.user, unit_id)
    return desk_page("web/admin.html", "unit-form", "编辑单位", object_id=unit_id, roles=ADMIN_ONLY)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it at the root; served from the package, never from a CDN."""
    return send_from_directory(bp.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                               max_age=86400)


def _desk_user():
    """The logged-in desk user (bureau or admin); None when nobody is logged in; 403 otherwise."""
    user = g.get("user")
    if user is None:
        return None
    if user.role not in DESK_ROLES:
        abort(403)
    return user


def _admin_user():
    """The logged-in admin; None when nobody is logged in; 403 for every other role."""
    user = _desk_user()
    if user is not None and user.role != Role.ADMIN:
        abort(403)
    return user


def desk_page(template: str, screen: str, heading: str, object_id: int | None = None, *,
              roles: tuple[Role, ...] = DESK_ROLES):
    """A desk page: the layout (account, jurisdiction, navigation by role) around a screen, for
    the logged-in users of `roles` (nobody logged in: to the login page; another role: 403).
    Every desk screen of every feature is rendered through here (`template` extends web/desk.html)."""
    user = g.get("user")
    if user is None:
        return redirect("/")
    if user.role not in roles:
        abort(403)
    nav = [(path, label) for path, label, allowed in NAV if user.role in allowed]
    jurisdiction = registry.jurisdiction_children(user, None)[0]
    return _page(render_template(template, user=user, role_label=user.role.label, nav=nav,
                                 jurisdiction=jurisdiction, screen=screen, heading=heading,
                                 object_id=object_id))


def _page(html: str):
    """Pages carry no data of their own, but are never cached by shared caches."""
    return html, 200, {"Cache-Control": "no-cache, private"}
