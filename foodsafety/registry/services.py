"""Registry services: schools, units and supply links, with their identifier checks.

The row checks (`school_problems`, `unit_problems`) are pure functions shared by the API and
the spreadsheet import, so a row is judged the same way whichever door it comes through.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from foodsafety.access import Actor
from foodsafety.errors import ApiError, invalid, not_found
from foodsafety.extensions import db
from foodsafety.pagination import sorted_by
from foodsafety.registry import signals
from foodsafety.registry.identifiers import check_licence_no, check_uscc
from foodsafety.registry.models import Jurisdiction, School, SupplyLink, Unit
from foodsafety.registry.rules import licence_status_is, overlaps, supplies_on
from foodsafety.registry.scope import code_within, in_subtree, unit_read_clause
from foodsafety.timeutil import today_cst
from foodsafety.transactions import lock_row, savepoint
from foodsafety.vocabulary import (
    HaccpStatus,
    LicenceStatus,
    Mingchu,
    OperationMode,
    Role,
    SchoolStage,
    UnitKind,
)

# The lists' orders: each ends with the primary key (keyset cursors where the columns are not null).
SCHOOL_SORTS = {"jurisdiction": (School.jurisdiction_code, School.name, School.id),
                "name": (School.name, School.id)}
UNIT_SORTS = {"jurisdiction": (Unit.jurisdiction_code, Unit.name, Unit.id),
              "name": (Unit.name, Unit.id),
              "licence_expires": (Unit.licence_expires_on, Unit.id)}
LINK_SORTS = {"id": (SupplyLink.id,), "starts": (SupplyLink.starts_on, SupplyLink.id)}

# The licence's business-type digit expected for each kind (1 sales, 2 catering, 3 canteen).
LICENCE_TYPES = {"canteen": {"3"}, "supplier": {"2"}, "periphery": {"1", "2"}}

Problems = tuple[dict[str, list[str]], list[dict[str, str]]]


def school_problems(data: dict) -> Problems:
    """Errors and warnings of a school record."""
    errors: dict[str, list[str]] = {}
    warnings: list[dict[str, str]] = []
    if data.get("uscc"):
        check = check_uscc(data["uscc"])
        if check.error:
            errors["uscc"] = [check.error]
        elif check.warning:
            warnings.append({"field": "uscc", "message": check.warning})
    return errors, warnings


def unit_problems(data: dict, school: School | None) -> Problems:
    """Errors and warnings of a unit record; `school` is the resolved `school_id`, if any."""
    errors: dict[str, list[str]] = {}
    warnings: list[dict[str, str]] = []
    kind = data["kind"]
    if kind == "canteen":
        if school is None:
            errors["school_id"] = ["学校食堂必须关联所属学校。"]
        elif school.jurisdiction_code != data["jurisdiction_code"]:
            errors["jurisdiction_code"] = ["学校食堂应与所属学校在同一行政区划。"]
        if not data.get("operation_mode"):
            errors["operation_mode"] = ["学校食堂须注明自营或承包经营。"]
    else:
        if data.get("school_id"):
            errors["school_id"] = ["只有学校食堂关联学校。"]
        if data.get("operation_mode"):
            errors["operation_mode"] = ["只有学校食堂区分自营或承包经营。"]
    licence = data.get("licence_no")
    if kind == "unlicensed":
        if licence:
            errors["licence_no"] = ["无证经营者不应填写许可证编号。"]
    elif licence:
        check = check_licence_no(licence)
        if check.error:
            errors["licence_no"] = [check.error]
        else:
            if check.warning:
                warnings.append({"field": "licence_no", "message": check.warning})
            if licence[2] not in LICENCE_TYPES[kind]:
                warnings.append({"field": "licence_no",
                                 "message": "许可证主体业态与单位类型不一致，请核对。"})
            if licence[3:5] != data["jurisdiction_code"][:2]:
                warnings.append({"field": "licence_no",
                                 "message": "许可证编号的省份与所在行政区划不一致，请核对。"})
        if not data.get("licence_issued_on") or not data.get("licence_expires_on"):
            errors["licence_issued_on"] = ["填写许可证编号时须同时填写发证日期和有效期至。"]
    else:
        warnings.append({"field": "licence_no", "message": "未登记许可证，该单位不计入持证单位数。"})
    if data.get("haccp") == "certified" and not data.get("haccp_cert_expires_on"):
        errors["haccp_cert_expires_on"] = ["已通过认证的须填写证书有效期。"]
    if data.get("haccp") != "certified" and data.get("haccp_cert_expires_on"):
        errors["haccp_cert_expires_on"] = ["只有已通过认证时才填写证书有效期。"]
    if data.get("uscc"):
        check = check_uscc(data["uscc"])
        if check.error:
            errors["uscc"] = [check.error]
        elif check.warning:
            warnings.append({"field": "uscc", "message": check.warning})
    if len(set(data.get("mingchu") or [])) != len(data.get("mingchu") or []):
        errors["mingchu"] = ["明厨亮灶方式不能重复。"]
    return errors, warnings


# --- scope ----------------------------------------------------------------------------------

def _require_registry_writer(user: Actor, code: str, *, units: bool = False) -> None:
    """Admins write the registry of their subtree; inspectors may register units there."""
    allowed = (Role.ADMIN, Role.INSPECTOR) if units else (Role.ADMIN,)
    if user.role not in allowed:
        raise ApiError(403)
    if db.session.get(Jurisdiction, code) is None or not code_within(user.jurisdiction_code, code):
        raise invalid({"jurisdiction_code": ["行政区划不存在或不在您的管辖范围内。"]})


SEARCH_LIMIT = 50


def search_jurisdictions(user: Actor, q: str) -> list[Jurisdiction]:
    """Divisions of the user's subtree whose name or code contains `q` (at most 50, by code)."""
    if user.role == Role.SCHOOL:
        raise not_found()
    return list(db.session.scalars(
        select(Jurisdiction).where(in_subtree(user.jurisdiction_code, Jurisdiction.code),
                                   or_(Jurisdiction.name.contains(q, autoescape=True),
                                       Jurisdiction.code.startswith(q, autoescape=True)))
        .options(selectinload(Jurisdiction.parent))
        .order_by(Jurisdiction.code).limit(SEARCH_LIMIT)))


def jurisdiction_children(user: Actor, code: str | None) -> list[Jurisdiction]:
    """The user's own jurisdiction (no code) or the children of one within its subtree."""
    if code is None:
        return [db.session.get(Jurisdiction, user.jurisdiction_code)]
    if user.role == Role.SCHOOL or not code_within(user.jurisdiction_code, code):
        raise not_found()
    return list(db.session.scalars(
        select(Jurisdiction).where(Jurisdiction.parent_code == code).order_by(Jurisdiction.code)))


# --- schools --------------------------------------------------------------------------------

def _school_clause(user: Actor):
    if user.role == Role.SCHOOL:
        return School.id == user.school_id
    return in_subtree(user.jurisdiction_code, School.jurisdiction_code)


def list_schools(user: Actor, args: dict) -> Select:
    query = sorted_by(select(School).where(_school_clause(user))
                      .options(selectinload(School.jurisdiction)),
                      SCHOOL_SORTS, args.get("sort") or "jurisdiction")
    if code := args.get("jurisdiction"):
        query = query.where(in_subtree(code, School.jurisdiction_code))
    if stage := args.get("stage"):
        query = query.where(School.stage == SchoolStage(stage))
    if school_id := args.get("school_id"):
        query = query.where(School.id == school_id)
    if q := args.get("q"):
        query = query.where(or_(School.name.contains(q, autoescape=True),
                                School.address.contains(q, autoescape=True),
                                School.uscc.contains(q, autoescape=True)))
    return query


def with_canteens_and_suppliers(schools: list[School]) -> list[School]:
    """The schools, each with its canteens (`school.canteens`) and the suppliers serving it today
    (`school.suppliers`) riding on it: two queries for a page, not two per school."""
    ids = [school.id for school in schools]
    canteens: dict[int, list[Unit]] = {i: [] for i in ids}
    suppliers: dict[int, list[Unit]] = {i: [] for i in ids}
    if ids:
        for unit in db.session.scalars(select(Unit).where(Unit.school_id.in_(ids))
                                       .order_by(Unit.name, Unit.id)):
            canteens[unit.school_id].append(unit)
        for school_id, unit in db.session.execute(
                select(SupplyLink.school_id, Unit).join(Unit, Unit.id == SupplyLink.supplier_id)
                .where(SupplyLink.school_id.in_(ids), supplies_on(today_cst()))
                .order_by(Unit.name, Unit.id)):
            suppliers[school_id].append(unit)
    for school in schools:
        school.canteens, school.suppliers = canteens[school.id], suppliers[school.id]
    return schools


def get_school(user: Actor, school_id: int) -> School:
    school = db.session.scalar(select(School).where(School.id == school_id, _school_clause(user)))
    if school is None:
        raise not_found()
    return school


def _unique_school(data: dict, school_id: int | None = None) -> None:
    clash = select(School.id).where(School.jurisdiction_code == data["jurisdiction_code"],
                                    School.name == data["name"])
    if school_id:
        clash = clash.where(School.id != school_id)
    if db.session.scalar(clash):
        raise invalid({"name": ["该行政区划内已有同名学校。"]})
    if data.get("uscc"):
        clash = select(School.id).where(School.uscc == data["uscc"])
        if school_id:
            clash = clash.where(School.id != school_id)
        if db.session.scalar(clash):
            raise invalid({"uscc": ["该统一社会信用代码已被其他学校使用。"]})


def create_school(user: Actor, data: dict) -> School:
    """Register a school; its identifier warnings ride on it (`school.warnings`)."""
    _require_registry_writer(user, data["jurisdiction_code"])
    errors, warnings = school_problems(data)
    if errors:
        raise invalid(errors)
    _unique_school(data)
    school = School(name=data["name"], stage=SchoolStage(data["stage"]),
                    jurisdiction_code=data["jurisdiction_code"], uscc=data.get("uscc"),
                    address=data.get("address"))
    db.session.add(school)
    db.session.flush()
    school.warnings = warnings
    return school


def update_school(user: Actor, school_id: int, data: dict) -> School:
    """Change a school; its identifier warnings ride on it (`school.warnings`)."""
    school = get_school(user, school_id)
    _require_registry_writer(user, school.jurisdiction_code)
    merged = {"name": school.name, "stage": school.stage.value, "uscc": school.uscc,
              "address": school.address, "jurisdiction_code": school.jurisdiction_code, **data}
    errors, warnings = school_problems(merged)
    if errors:
        raise invalid(errors)
    _unique_school(merged, school.id)
    school.name, school.stage = merged["name"], SchoolStage(merged["stage"])
    school.uscc, school.address = merged["uscc"], merged["address"]
    db.session.flush()
    school.warnings = warnings
    return school


# --- units ----------------------------------------------------------------------------------

def list_units(user: Actor, args: dict) -> Select:
    query = sorted_by(select(Unit).where(unit_read_clause(user))
                      .options(selectinload(Unit.jurisdiction), selectinload(Unit.school)),
                      UNIT_SORTS, args.get("sort") or "jurisdiction")
    if status := args.get("licence_status"):
        query = query.where(licence_status_is(LicenceStatus(status), today_cst()))
    if code := args.get("jurisdiction"):
        query = query.where(in_subtree(code, Unit.jurisdiction_code))
    if kind := args.get("kind"):
        query = query.where(Unit.kind == UnitKind(kind))
    if school_id := args.get("school_id"):
        query = query.where(Unit.school_id == school_id)
    if q := args.get("q"):
        query = query.outerjoin(School, School.id == Unit.school_id).where(or_(*(
            column.contains(q, autoescape=True) for column in (
                Unit.name, Unit.short_name, Unit.address, Unit.licence_no, School.name))))
    return query


def show_units(user: Actor, units: list[Unit]) -> list[Unit]:
    """Units as the API shows them: the features above the registry add what they know of each
    (its last inspection, its open orders) in a few queries per page, never one per unit."""
    if units:
        signals.units_shown.send(user, units=units)
    return units


def get_unit(user: Actor, unit_id: int) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.id == unit_id, unit_read_clause(user)))
    if unit is None:
        raise not_found()
    return unit


def _apply_unit(unit: Unit, data: dict) -> None:
    unit.kind = UnitKind(data["kind"])
    unit.name = data["name"]
    unit.jurisdiction_code = data["jurisdiction_code"]
    unit.school_id = data.get("school_id")
    unit.operation_mode = OperationMode(data["operation_mode"]) if data.get(
        "operation_mode") else None
    for name in ("short_name", "address", "uscc", "licence_no", "licence_issued_on", "licence_expires_on",
                 "haccp_cert_expires_on"):
        setattr(unit, name, data.get(name))
    unit.wuchang_6t = bool(data.get("wuchang_6t"))
    unit.haccp = HaccpStatus(data.get("haccp") or "none")
    unit.mingchu = [Mingchu(mode) for mode in data.get("mingchu") or []]


def _check_unit(user: Actor, data: dict, unit_id: int | None = None) -> list:
    _require_registry_writer(user, data["jurisdiction_code"], units=True)
    school = None
    if data.get("school_id"):
        school = db.session.scalar(select(School).where(
            School.id == data["school_id"],
            in_subtree(user.jurisdiction_code, School.jurisdiction_code)))
        if school is None:
            raise invalid({"school_id": ["学校不存在或不在您的管辖范围内。"]})
    errors, warnings = unit_problems(data, school)
    if data.get("licence_no") and not errors:
        clash = select(Unit.id).where(Unit.licence_no == data["licence_no"])
        if unit_id:
            clash = clash.where(Unit.id != unit_id)
        if db.session.scalar(clash):
            errors["licence_no"] = ["该许可证编号已登记在其他单位。"]
    if errors:
        raise invalid(errors)
    return warnings


def _registered(user: Actor, client_id: str, data: dict) -> Unit | None:
    """The unit a phone registered under `client_id` (a retry), if any; 409 if that id names
    another registration or a unit out of the user's scope."""
    unit = db.session.scalar(select(Unit).where(Unit.client_id == client_id))
    if unit is None:
        return None
    same = (unit.kind.value, unit.name, unit.jurisdiction_code) == (
        data["kind"], data["name"], data["jurisdiction_code"])
    visible = db.session.scalar(select(Unit.id).where(Unit.id == unit.id, unit_read_clause(user)))
    if not same or visible is None:
        raise ApiError(409, "该登记编号（client_id）已用于其他单位，请重新生成。",
                       reason="unit_client_id_conflict")
    unit.warnings = []
    return unit


def create_unit(user: Actor, data: dict) -> tuple[Unit, bool]:
    """Register a unit; its identifier warnings ride on it (`unit.warnings`). Returns (unit,
    created): a registration sent again under the same `client_id` (a phone's retry, even a
    concurrent one) is answered with the unit already registered."""
    client_id = str(data["client_id"]) if data.get("client_id") else None
    if client_id and (existing := _registered(user, client_id, data)):
        return existing, False
    warnings = _check_unit(user, data)
    unit = Unit(client_id=client_id)
    _apply_unit(unit, data)
    try:
        with savepoint():  # a concurrent twin of this registration undoes this insert only
            db.session.add(unit)
            db.session.flush()
    except IntegrityError:
        existing = _registered(user, client_id, data) if client_id else None
        if existing is None:
            raise
        return existing, False
    unit.warnings = warnings
    return unit, True


def _unit_data(unit: Unit) -> dict[str, Any]:
    """A unit's registered values in the shape of `UnitInSchema`'s output."""
    return {
        "kind": unit.kind.value, "name": unit.name, "short_name": unit.short_name,
        "jurisdiction_code": unit.jurisdiction_code,
        "school_id": unit.school_id,
        "operation_mode": unit.operation_mode.value if unit.operation_mode else None,
        "address": unit.address, "uscc": unit.uscc, "licence_no": unit.licence_no,
        "licence_issued_on": unit.licence_issued_on, "licence_expires_on": unit.licence_expires_on,
        "wuchang_6t": unit.wuchang_6t, "haccp": unit.haccp.value,
        "haccp_cert_expires_on": unit.haccp_cert_expires_on,
        "mingchu": [mode.value for mode in unit.mingchu],
    }


def update_unit(user: Actor, unit_id: int, data: dict) -> Unit:
    """Change a unit's registration (not its kind); its warnings ride on it (`unit.warnings`)."""
    unit = get_unit(user, unit_id)
    _require_registry_writer(user, unit.jurisdiction_code, units=True)
    merged = {**_unit_data(unit), **data}
    if merged["kind"] != unit.kind.value:
        raise invalid({"kind": ["单位类型登记后不能修改，请新建单位。"]})
    warnings = _check_unit(user, merged, unit.id)
    _apply_unit(unit, merged)
    db.session.flush()
    unit.warnings = warnings
    return unit


# --- supply links ---------------------------------------------------------------------------

def _link_clause(user: Actor):
    if user.role == Role.SCHOOL:
        return SupplyLink.school_id == user.school_id
    supplier_in = select(Unit.id).where(in_subtree(user.jurisdiction_code, Unit.jurisdiction_code))
    school_in = select(School.id).where(
        in_subtree(user.jurisdiction_code, School.jurisdiction_code))
    return or_(SupplyLink.supplier_id.in_(supplier_in), SupplyLink.school_id.in_(school_in))


def list_links(user: Actor, args: dict) -> Select:
    query = sorted_by(select(SupplyLink).where(_link_clause(user))
                      .options(selectinload(SupplyLink.supplier),
                               selectinload(SupplyLink.school).selectinload(School.jurisdiction)),
                      LINK_SORTS, args.get("sort") or "id")
    if school_id := args.get("school_id"):
        query = query.where(SupplyLink.school_id == school_id)
    if supplier_id := args.get("supplier_id"):
        query = query.where(SupplyLink.supplier_id == supplier_id)
    if code := args.get("jurisdiction"):
        query = query.where(or_(
            SupplyLink.supplier_id.in_(select(Unit.id).where(in_subtree(code, Unit.jurisdiction_code))),
            SupplyLink.school_id.in_(select(School.id).where(in_subtree(code, School.jurisdiction_code)))))
    if args.get("current") is not None:
        current = supplies_on(today_cst())
        query = query.where(current if args["current"] else not_(current))
    if q := args.get("q"):
        query = query.where(or_(
            SupplyLink.supplier_id.in_(select(Unit.id).where(or_(
                Unit.name.contains(q, autoescape=True), Unit.licence_no.contains(q, autoescape=True)))),
            SupplyLink.school_id.in_(select(School.id).where(School.name.contains(q, autoescape=True)))))
    return query


def get_link(user: Actor, link_id: int) -> SupplyLink:
    """One supply link whose supplier or school lies in the user's scope (a school: its own)."""
    link = db.session.scalar(select(SupplyLink).where(SupplyLink.id == link_id, _link_clause(user))
                             .options(selectinload(SupplyLink.supplier),
                                      selectinload(SupplyLink.school).selectinload(School.jurisdiction)))
    if link is None:
        raise not_found()
    return link


def _school_in_scope(user: Actor, school_id: int) -> School | None:
    return db.session.scalar(select(School).where(
        School.id == school_id, in_subtree(user.jurisdiction_code, School.jurisdiction_code)))


def _overlapping_link(supplier_id: int, school_id: int, starts_on: date, ends_on: date | None,
                      other_than: int | None = None) -> int | None:
    query = select(SupplyLink.id).where(
        SupplyLink.supplier_id == supplier_id, SupplyLink.school_id == school_id,
        overlaps(starts_on, ends_on))
    if other_than:
        query = query.where(SupplyLink.id != other_than)
    return db.session.scalar(query.limit(1))


def create_link(user: Actor, data: dict) -> SupplyLink:
    """Link a supplier to a school it supplies: both must lie in the admin's subtree (a school
    outside it is answered exactly like a missing one). Periods of one pair never overlap."""
    if user.role != Role.ADMIN:
        raise ApiError(403)
    # Hold the supplier row until commit: two admins linking it at once cannot both pass the
    # overlap check (PostgreSQL: row lock; SQLite: the write lock).
    supplier = lock_row(Unit, data["supplier_id"])
    school = _school_in_scope(user, data["school_id"])
    errors = {}
    if supplier is None or supplier.kind != UnitKind.SUPPLIER or not code_within(
            user.jurisdiction_code, supplier.jurisdiction_code):
        errors["supplier_id"] = ["供餐单位不存在或不在您的管辖范围内。"]
    if school is None:
        errors["school_id"] = ["学校不存在或不在您的管辖范围内。"]
    if errors:
        raise invalid(errors)
    if _overlapping_link(supplier.id, school.id, data["starts_on"], data.get("ends_on")):
        raise invalid({"starts_on": ["该供餐关系与已有记录的期间重叠。"]})
    link = SupplyLink(supplier_id=supplier.id, school_id=school.id, starts_on=data["starts_on"],
                      ends_on=data.get("ends_on"))
    db.session.add(link)
    db.session.flush()
    return link


def end_link(user: Actor, link_id: int, ends_on) -> SupplyLink:
    """End a link, or reopen it (later end or none) as long as it overlaps no other period."""
    if user.role != Role.ADMIN:
        raise ApiError(403)
    link = db.session.scalar(select(SupplyLink).where(SupplyLink.id == link_id,
                                                      _link_clause(user)))
    if link is None:
        raise not_found()
    if ends_on and ends_on < link.starts_on:
        raise invalid({"ends_on": ["结束日期不能早于开始日期。"]})
    lock_row(Unit, link.supplier_id)
    if _overlapping_link(link.supplier_id, link.school_id, link.starts_on, ends_on,
                         other_than=link.id):
        raise invalid({"ends_on": ["该供餐关系与已有记录的期间重叠。"]})
    link.ends_on = ends_on
    db.session.flush()
    return link


# --- search shared by the record lists ------------------------------------------------------

def units_matching(q: str) -> Select:
    """Ids of the units whose name, short name, licence number or address contains `q`: the
    search of the inspection, order and case lists."""
    return select(Unit.id).where(or_(*(column.contains(q, autoescape=True) for column in (
        Unit.name, Unit.short_name, Unit.licence_no, Unit.address))))
