"""The bureau's page `/stats/`: a shell whose ES module (static/stats.js) picks a jurisdiction and a
period, shows the table, its checks and coverage, lists and builds snapshots — all through the
JSON API (`/api/v1/statistics/...`). `/stats/chart.svg` draws the trend on the server from the
same computation the API uses.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, request

from foodsafety.accounts.models import Role
from foodsafety.errors import ApiError
from foodsafety.limits.leases import expensive
from foodsafety.periods import selectable_periods
from foodsafety.rectification.services import overdue_counts
from foodsafety.statistics import compute
from foodsafety.statistics.access import readable_jurisdiction, resolve_period
from foodsafety.statistics.chart import ChildBar, Point, children_svg, trend_svg
from foodsafety.timeutil import today_cst
from foodsafety.web.routes import desk_page

bp = Blueprint("stats_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/stats/static")
NO_STORE = {"Cache-Control": "no-cache, private"}


def _user():
    """The logged-in staff user, or None (not logged in); 403 for schools and auditors."""
    user = g.get("user")
    if user is not None and user.role in (Role.SCHOOL, Role.AUDITOR):
        abort(403)
    return user


@bp.get("/stats/")
def page():
    """The statistics page of the logged-in bureau, inspector or administrator (a shell)."""
    return desk_page("statistics/page.html", "stats", "统计报表",
                     roles=(Role.BUREAU, Role.ADMIN, Role.INSPECTOR))


@bp.get("/stats/chart.svg")
@expensive
def chart():
    """The trend of the three sections over the last half-years, as an SVG image."""
    user = _user()
    if user is None:
        abort(401)
    today = today_cst()
    try:
        jurisdiction = readable_jurisdiction(user, request.args.get("jurisdiction")
                                             or user.jurisdiction_code)
        period, _ = resolve_period(request.args.get("period") or selectable_periods(today)[0].key)
    except ApiError as error:
        abort(error.status if error.status != 422 else 404)
    series = [Point(half.short_label, result.values, complete=half.end < today)
              for half, result in compute.trend(jurisdiction.code, period, today)]
    svg = trend_svg(series, f"{jurisdiction.name} 近{len(series)}个半年度趋势")
    return svg, 200, {"Content-Type": "image/svg+xml; charset=utf-8", **NO_STORE}


@bp.get("/stats/children.svg")
@expensive
def children_chart():
    """The briefing chart by child jurisdiction: shares of canteens with 明厨亮灶 / HACCP and
    the overdue orders, on the period's cutoff."""
    user = _user()
    if user is None:
        abort(401)
    today = today_cst()
    try:
        jurisdiction = readable_jurisdiction(user, request.args.get("jurisdiction")
                                             or user.jurisdiction_code)
        period, cutoff = resolve_period(request.args.get("period") or selectable_periods(today)[0].key)
    except ApiError as error:
        abort(error.status if error.status != 422 else 404)
    columns = compute.breakdown(jurisdiction.code, period, cutoff).column_list()
    overdue = overdue_counts([column.code for column in columns], cutoff)
    bars = [ChildBar(column.name, int(column.value("A1")), int(column.value("A3")),
                     int(column.value("A4")), overdue[column.code]) for column in columns]
    svg = children_svg(bars, f"{jurisdiction.name} 各下级行政区划对比（{period.label}）",
                       f"截至 {cutoff:%Y年%m月%d日}")
    return svg, 200, {"Content-Type": "image/svg+xml; charset=utf-8", **NO_STORE}
