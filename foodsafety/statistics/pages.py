"""The bureau's page `/stats/`: pick a jurisdiction and a period, see the table and its trend,
build snapshots and download their workbooks.

Server-rendered from the same services as the API; the page's script (static, no inline code)
only submits the form on change and talks to the snapshot endpoints of the API.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, g, redirect, render_template, request
from sqlalchemy import select

from foodsafety.accounts.models import Role
from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.limits.leases import expensive
from foodsafety.periods import Period, parse_period
from foodsafety.registry.models import Jurisdiction, JurisdictionClosure
from foodsafety.statistics import compute
from foodsafety.statistics.access import readable_jurisdiction, resolve_period
from foodsafety.statistics.chart import trend_svg
from foodsafety.statistics.definition import TABLE
from foodsafety.statistics.results import (
    SECTION_LABELS,
    context_figures,
    coverage_counts,
    display_text,
)
from foodsafety.timeutil import today_cst

bp = Blueprint("stats_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/stats/static")
FIRST_YEAR = 2020
TREND_HALVES = 6


def _user():
    """The logged-in staff user, or a redirect to the login page / a 403 for schools and auditors."""
    user = g.get("user")
    if user is None:
        return None
    if user.role in (Role.SCHOOL, Role.AUDITOR):
        abort(403)
    return user


def period_choices(today: date) -> list[Period]:
    """Reporting periods that have begun, newest first: each year's first half and full year."""
    choices = []
    for year in range(today.year, FIRST_YEAR - 1, -1):
        for key in (str(year), f"{year}-H1"):
            period = parse_period(key)
            if period.start <= today:
                choices.append(period)
    return choices


def jurisdiction_choices(code: str) -> list[tuple[Jurisdiction, int]]:
    """The user's subtree in code order, with each node's depth below the user's own."""
    rows = db.session.execute(
        select(Jurisdiction, JurisdictionClosure.depth)
        .join(JurisdictionClosure, JurisdictionClosure.descendant_code == Jurisdiction.code)
        .where(JurisdictionClosure.ancestor_code == code)
        .order_by(Jurisdiction.code)).all()
    return [(row[0], row[1]) for row in rows]


def table_rows(values) -> list[dict]:
    """The official layout (`TABLE.layout()`): section and group cells spanning their rows."""
    return [{"code": cell.row.code, "label": cell.row.label, "group": cell.row.group,
             "section_label": SECTION_LABELS[cell.row.section], "section_span": cell.section_span,
             "group_span": cell.group_span, "value": display_text(cell.row, values[cell.row.code])}
            for cell in TABLE.layout()]


def _selection(user) -> tuple[Jurisdiction, Period, date]:
    code = request.args.get("jurisdiction") or user.jurisdiction_code
    try:
        jurisdiction = readable_jurisdiction(user, code)
        period, cutoff = resolve_period(
            request.args.get("period") or period_choices(today_cst())[0].key)
    except ApiError as error:
        abort(error.status if error.status != 422 else 404)
    return jurisdiction, period, cutoff


@bp.get("/stats/")
@expensive
def page():
    """The statistics page of the logged-in bureau, inspector or administrator."""
    user = _user()
    if user is None:
        return redirect("/")
    jurisdiction, period, cutoff = _selection(user)
    result = compute.compute_table(jurisdiction.code, period, cutoff)
    html = render_template(
        "statistics/page.html", user=user, table=TABLE, jurisdiction=jurisdiction, period=period,
        cutoff=cutoff, rows=table_rows(result.values), issues=result.issues,
        coverage=coverage_counts(result.coverage), context=context_figures(result.context),
        periods=period_choices(today_cst()), jurisdictions=jurisdiction_choices(
            user.jurisdiction_code),
        can_build=user.role in (Role.INSPECTOR, Role.ADMIN),
        csrf_token=g.auth_session.csrf_token if g.get("auth_from_cookie") else "")
    return html, 200, {"Cache-Control": "no-cache, private"}


def trend_halves(period: Period, today: date) -> list[Period]:
    """The half-years up to the one the period ends in (and not beyond today), oldest first."""
    year, half = period.end.year, 1 if period.end.month <= 6 else 2
    halves = []
    while len(halves) < TREND_HALVES:
        candidate = parse_period(f"{year}-H{half}")
        if candidate.start <= today:
            halves.append(candidate)
        year, half = (year, 1) if half == 2 else (year - 1, 2)
        if year < FIRST_YEAR:
            break
    return list(reversed(halves))


@bp.get("/stats/chart.svg")
@expensive
def chart():
    """The trend of the three sections over the last half-years, as an SVG image."""
    user = _user()
    if user is None:
        abort(401)
    jurisdiction, period, _ = _selection(user)
    today = today_cst()
    series = []
    for half in trend_halves(period, today):
        result = compute.compute_table(jurisdiction.code, half, half.cutoff(today))
        label = f"{half.key[:4]}{'上' if half.key.endswith('H1') else '下'}半年"
        series.append((label, result.values))
    svg = trend_svg(series, f"{jurisdiction.name} 近{len(series)}个半年度趋势")
    return svg, 200, {"Content-Type": "image/svg+xml; charset=utf-8",
                      "Cache-Control": "no-cache, private"}
