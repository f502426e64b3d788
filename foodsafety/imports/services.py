"""Bulk import: judge a whole workbook, then write all of it or nothing.

Validation runs on every row before anything is written and collects every error as
(sheet, Excel row, Chinese column header, Chinese reason). Rows are judged by the registry's
own schemas and row checks (`school_problems`, `unit_problems`), so an imported row meets the
same rules as an API request. Existing records are found by natural key (school: jurisdiction
+ name or USCC; unit: licence number, else kind + jurisdiction + name + school; supply link:
supplier + school + start date) from lookups loaded up front in a handful of queries; the
writes are set-based (`insert(...)` / `update(...)` with lists of rows). Re-importing the same
file changes nothing. The import acts within one jurisdiction's subtree: rows outside it are
errors. Like every service it flushes and leaves the commit to the caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from foodsafety.errors import ApiError
from foodsafety.extensions import db
from foodsafety.imports.reader import (
    ParsedWorkbook,
    Problem,
    Row,
    read_steps,
    read_workbook,
    run_steps,
)
from foodsafety.imports.schemas import LinkRowSchema, SchoolRowSchema, UnitRowSchema
from foodsafety.imports.template import LINKS, SCHOOLS, SHEETS, UNITS, Sheet
from foodsafety.registry.models import (
    HaccpStatus,
    OperationMode,
    School,
    SchoolStage,
    SupplyLink,
    Unit,
    UnitKind,
)
from foodsafety.registry.scope import subtree
from foodsafety.registry.services import school_problems, unit_problems
from foodsafety.statistics import summaries

Progress = Callable[[int], None]
Steps = Generator[int, None, None]  # validation as it goes: rows judged since the last step
OUT_OF_SCOPE = "行政区划不存在或不在您的管辖范围内。"
IN_CHUNK = 500  # values per IN (...) list: well under every database's parameter limit
PROGRESS_STEP = 500
SCHOOL_FIELDS = ("name", "stage", "jurisdiction_code", "uscc", "address")
UNIT_FIELDS = ("kind", "name", "jurisdiction_code", "school_id", "operation_mode", "address",
               "uscc", "licence_no", "licence_issued_on", "licence_expires_on", "wuchang_6t",
               "haccp", "haccp_cert_expires_on", "mc_transparent", "mc_video", "mc_internet")


class ImportRejected(ApiError):
    """The workbook has errors and nothing was written: a 422 listing every one of them."""

    def __init__(self, problems: list[Problem], warnings: list[Problem], parsed: ParsedWorkbook) -> None:
        super().__init__(422, f"导入文件中有 {len(problems)} 处错误，未导入任何数据。请按错误列表修改后重新导入。",
                         errors=[p.as_dict() for p in problems])
        self.problems = problems
        self.warnings = warnings
        self.parsed = parsed  # for the annotated copy of the workbook


@dataclass(frozen=True)
class SheetCounts:
    """What an import did (or, dry, would do) with one sheet's rows."""

    sheet: str
    rows: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class ImportResult:
    dry_run: bool
    sheets: list[SheetCounts]
    warnings: list[Problem]


@dataclass(eq=False)
class Ref:
    """A school or unit a row refers to: registered (`id`) or created by this import."""

    jurisdiction_code: str
    kind: str | None = None
    id: int | None = None


@dataclass
class Outcome:
    """What one sheet will do: rows to insert, rows to update, rows left as they are."""

    creates: list[tuple[Ref | None, dict]] = field(default_factory=list)
    updates: list[tuple[int, dict]] = field(default_factory=list)
    unchanged: int = 0
    rows: int = 0


class _Plan:
    """Lookups loaded up front and the outcome of validation, sheet by sheet."""

    def __init__(self, jurisdiction_code: str) -> None:
        self.scope: set[str] = set(db.session.scalars(subtree(jurisdiction_code)))
        in_scope = subtree(jurisdiction_code)
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.outcomes = {s.key: Outcome() for s in SHEETS}
        self.school_refs: dict[int, Ref] = {}
        self.unit_refs: dict[int, Ref] = {}
        self.schools = [r._asdict() for r in db.session.execute(
            select(School.id, *(getattr(School, f) for f in SCHOOL_FIELDS))
            .where(School.jurisdiction_code.in_(in_scope)))]
        self.schools_by_key = {(s["jurisdiction_code"], s["name"]): s for s in self.schools}
        self.schools_by_uscc = {s["uscc"]: s for s in self.schools if s["uscc"]}
        self.units = [r._asdict() for r in db.session.execute(
            select(Unit.id, *(getattr(Unit, f) for f in UNIT_FIELDS))
            .where(Unit.jurisdiction_code.in_(in_scope)))]
        self.units_by_licence = {u["licence_no"]: u for u in self.units if u["licence_no"]}
        self.units_by_tuple: dict[tuple, list[dict]] = defaultdict(list)
        for unit in self.units:
            key = (unit["kind"].value, unit["jurisdiction_code"], unit["name"], unit["school_id"])
            self.units_by_tuple[key].append(unit)
        self.links: dict[tuple[int, int], list[dict]] = defaultdict(list)
        for link in db.session.execute(
                select(SupplyLink.id, SupplyLink.supplier_id, SupplyLink.school_id,
                       SupplyLink.starts_on, SupplyLink.ends_on)
                .where(SupplyLink.supplier_id.in_(
                    select(Unit.id).where(Unit.jurisdiction_code.in_(in_scope))))):
            self.links[(link.supplier_id, link.school_id)].append(link._asdict())
        # Schools and units this file introduces, by the keys rows use to refer to them.
        self.file_schools_by_key: dict[tuple[str, str], Ref] = {}
        self.file_schools_by_uscc: dict[str, Ref] = {}
        self.file_units_by_licence: dict[str, Ref] = {}
        self.foreign_usccs: set[str] = set()
        self.foreign_licences: set[str] = set()

    def school_ref(self, school: dict) -> Ref:
        if school["id"] not in self.school_refs:
            self.school_refs[school["id"]] = Ref(school["jurisdiction_code"], id=school["id"])
        return self.school_refs[school["id"]]

    def unit_ref(self, unit: dict) -> Ref:
        if unit["id"] not in self.unit_refs:
            self.unit_refs[unit["id"]] = Ref(unit["jurisdiction_code"], unit["kind"].value,
                                             id=unit["id"])
        return self.unit_refs[unit["id"]]

    def find_school(self, code: str | None, name: str | None, uscc: str | None) -> Ref | None:
        """A school named by USCC, or by jurisdiction and name, in this file or registered."""
        if uscc:
            if uscc in self.file_schools_by_uscc:
                return self.file_schools_by_uscc[uscc]
            school = self.schools_by_uscc.get(uscc)
        else:
            if (code, name) in self.file_schools_by_key:
                return self.file_schools_by_key[(code, name)]
            school = self.schools_by_key.get((code, name))
        return self.school_ref(school) if school else None

    def load_foreign(self, parsed: ParsedWorkbook) -> None:
        """USCCs and licence numbers in the file registered outside the scope (unique columns)."""
        usccs = {r.data.get("uscc") for r in parsed.rows[SCHOOLS.key]} - {None}
        self.foreign_usccs = _registered(School.uscc, usccs - self.schools_by_uscc.keys())
        licences = {r.data.get("licence_no") for r in parsed.rows[UNITS.key]} - {None}
        self.foreign_licences = _registered(Unit.licence_no, licences - self.units_by_licence.keys())

    def report(self, sheet: Sheet, row: Row, errors: dict[str, str], warnings: Iterable[dict] = ()
               ) -> None:
        for name, message in errors.items():
            header = sheet.column(name).header if name != "_schema" else None
            self.errors.append(Problem(sheet.title, row.number, header, message))
        for warning in warnings:
            self.warnings.append(Problem(sheet.title, row.number,
                                         sheet.column(warning["field"]).header,
                                         warning["message"]))


def _registered(column, values: set[str]) -> set[str]:
    """Which of `values` some row already holds in `column` (looked up a chunk at a time)."""
    found: set[str] = set()
    items = sorted(values)
    for start in range(0, len(items), IN_CHUNK):
        found.update(db.session.scalars(select(column).where(column.in_(items[start:start + IN_CHUNK]))))
    return found


def _load(schema: Schema, row: Row) -> tuple[dict, dict[str, str], bool]:
    """Run a registry schema on a row: valid values, first error per field, whether all passed."""
    errors = dict(row.cell_errors)
    try:
        data = schema.load(row.data)
    except ValidationError as exc:
        data = exc.valid_data or {}
        for name, messages in exc.normalized_messages().items():
            errors.setdefault(name, _first_message(messages))
    for name in row.cell_errors:
        data.pop(name, None)
    return data, errors, not errors


def _first_message(messages) -> str:
    while isinstance(messages, dict | list):
        messages = next(iter(messages.values())) if isinstance(messages, dict) else messages[0]
    return str(messages)


def _merge(errors: dict[str, str], more: dict[str, list[str]], rename: dict[str, str] | None = None
           ) -> None:
    for name, messages in more.items():
        errors.setdefault((rename or {}).get(name, name), messages[0])


def _step(index: int, total: int) -> int:
    """Rows judged since the last progress step: every PROGRESS_STEP rows and at the last row."""
    done = index + 1
    if done % PROGRESS_STEP == 0 or done == total:
        return done - (done - 1) // PROGRESS_STEP * PROGRESS_STEP
    return 0


# --- schools --------------------------------------------------------------------------------

def _plan_schools(plan: _Plan, rows: list[Row]) -> Steps:
    outcome = plan.outcomes[SCHOOLS.key]
    schema = SchoolRowSchema()
    seen_key: dict[tuple, int] = {}
    seen_uscc: dict[str, int] = {}
    claimed: dict[int, int] = {}
    for index, row in enumerate(rows):
        if step := _step(index, len(rows)):
            yield step
        data, errors, clean = _load(schema, row)
        warnings: list[dict] = []
        code, name, uscc = data.get("jurisdiction_code"), data.get("name"), data.get("uscc")
        if code and code not in plan.scope:
            errors.setdefault("jurisdiction_code", OUT_OF_SCOPE)
        if clean:
            problems, warnings = school_problems(data)
            _merge(errors, problems)
        if code and name:
            if (code, name) in seen_key:
                errors.setdefault("name", f"与第 {seen_key[(code, name)]} 行重复：同一行政区划内学校名称相同。")
            seen_key.setdefault((code, name), row.number)
        if uscc and "uscc" not in errors:
            if uscc in seen_uscc:
                errors["uscc"] = f"与第 {seen_uscc[uscc]} 行的统一社会信用代码重复。"
            elif uscc in plan.foreign_usccs:
                errors["uscc"] = "该统一社会信用代码已被其他学校使用。"
            seen_uscc.setdefault(uscc, row.number)
        existing = plan.schools_by_uscc.get(uscc) if uscc else None
        same_name = plan.schools_by_key.get((code, name))
        if existing is None:
            existing = same_name
        elif code and existing["jurisdiction_code"] != code:
            errors.setdefault("jurisdiction_code", f"该统一社会信用代码的学校已登记在行政区划 "
                              f"{existing['jurisdiction_code']}，导入不能变更学校的行政区划。")
        elif same_name and same_name["id"] != existing["id"]:
            errors.setdefault("name", "该行政区划内已有同名学校。")
        if existing and existing["id"] in claimed:
            errors.setdefault("name", f"与第 {claimed[existing['id']]} 行指向同一所已登记的学校。")
        ref = plan.school_ref(existing) if existing else Ref(code or "")
        if existing:
            claimed.setdefault(existing["id"], row.number)
        # Index the school even when its row is wrong, so rows naming it are not failed twice.
        if code and name:
            plan.file_schools_by_key.setdefault((code, name), ref)
        if uscc:
            plan.file_schools_by_uscc.setdefault(uscc, ref)
        plan.report(SCHOOLS, row, errors, warnings)
        if errors:
            continue
        values = {"name": name, "stage": SchoolStage(data["stage"]), "jurisdiction_code": code,
                  "uscc": uscc, "address": data.get("address")}
        _decide(outcome, ref, existing, values, SCHOOL_FIELDS)


def _decide(outcome: Outcome, ref: Ref | None, existing: dict | None, values: dict,
            names: tuple[str, ...]) -> None:
    """Count a valid row as a create, an update (values differ) or unchanged."""
    outcome.rows += 1
    resolved = _resolve(values)
    if existing is None:
        outcome.creates.append((ref, values))
    elif any(existing[n] != resolved[n] for n in names if n in resolved):
        outcome.updates.append((existing["id"], values))
    else:
        outcome.unchanged += 1


# --- units ----------------------------------------------------------------------------------

def _plan_units(plan: _Plan, rows: list[Row]) -> Steps:
    outcome = plan.outcomes[UNITS.key]
    schema = UnitRowSchema()
    seen_licence: dict[str, int] = {}
    seen_tuple: dict[tuple, int] = {}
    claimed: dict[int, int] = {}
    for index, row in enumerate(rows):
        if step := _step(index, len(rows)):
            yield step
        data, errors, clean = _load(schema, row)
        warnings: list[dict] = []
        kind, code, name = data.get("kind"), data.get("jurisdiction_code"), data.get("name")
        licence = data.get("licence_no")
        school_field = "school_uscc" if data.get("school_uscc") and not data.get(
            "school_name") else "school_name"
        if code and code not in plan.scope:
            errors.setdefault("jurisdiction_code", OUT_OF_SCOPE)
        named_school = any(row.data.get(f) for f in ("school_name", "school_uscc"))
        school = None
        if kind == "canteen" and (data.get("school_uscc") or (data.get("school_name") and code)):
            school = plan.find_school(code, data.get("school_name"), data.get("school_uscc"))
            if school is None:
                errors.setdefault(school_field, "找不到所属学校：须在本文件“学校”表中，或已登记在您的管辖范围内"
                                  + ("。" if school_field == "school_uscc" else "且与食堂在同一行政区划。"))
        api_data = {k: v for k, v in data.items() if k not in ("school_name", "school_uscc")}
        if kind and kind != "canteen" and named_school:
            api_data["school_id"] = -1  # named a school: the row check says only canteens may
        if clean and "school_name" not in errors and "school_uscc" not in errors:
            problems, warnings = unit_problems(api_data, school)
            _merge(errors, problems, {"school_id": school_field})
        if licence and "licence_no" not in errors:
            if licence in seen_licence:
                errors["licence_no"] = f"与第 {seen_licence[licence]} 行的许可证编号重复。"
            elif licence in plan.foreign_licences:
                errors["licence_no"] = "该许可证编号已登记在其他单位。"
            seen_licence.setdefault(licence, row.number)
        elif not licence and kind and code and name:
            key = (kind, code, name, school)
            if key in seen_tuple:
                errors.setdefault("name", f"与第 {seen_tuple[key]} 行重复：单位类型、名称、行政区划和所属学校均相同。")
            seen_tuple.setdefault(key, row.number)
        existing = _existing_unit(plan, data, school, errors)
        if existing and kind and existing["kind"].value != kind:
            errors.setdefault("kind", "单位类型登记后不能修改，请新建单位。")
        if existing and existing["id"] in claimed:
            errors.setdefault("name", f"与第 {claimed[existing['id']]} 行指向同一个已登记的单位。")
        ref = plan.unit_ref(existing) if existing else Ref(code or "", kind)
        if existing:
            claimed.setdefault(existing["id"], row.number)
        if licence:
            plan.file_units_by_licence.setdefault(licence, ref)
        plan.report(UNITS, row, errors, warnings)
        if errors:
            continue
        values = _unit_values(api_data, school)
        _decide(outcome, ref, existing, values, UNIT_FIELDS)


def _existing_unit(plan: _Plan, data: dict, school: Ref | None, errors: dict[str, str]
                   ) -> dict | None:
    """The registered unit a row describes: by licence number, else by kind, place, name, school."""
    licence = data.get("licence_no")
    if licence and licence in plan.units_by_licence:
        return plan.units_by_licence[licence]
    if not (data.get("kind") and data.get("jurisdiction_code") and data.get("name")):
        return None
    if school is not None and school.id is None:
        return None  # a school new in this file has no units yet
    key = (data["kind"], data["jurisdiction_code"], data["name"], school.id if school else None)
    candidates = plan.units_by_tuple.get(key, [])
    if licence:  # a unit registered without a licence that has now got one
        candidates = [u for u in candidates if not u["licence_no"]]
    if len(candidates) > 1:
        errors.setdefault("name", "已登记多个类型、名称、行政区划和所属学校都相同的单位，"
                                  "无法确定更新哪一个；请填写许可证编号。")
        return None
    if not candidates:
        return None
    if not licence and candidates[0]["licence_no"]:
        errors.setdefault("licence_no", f"该单位已登记许可证编号 {candidates[0]['licence_no']}，请填写。")
    return candidates[0]


def _unit_values(data: dict, school: Ref | None) -> dict:
    """A valid unit row as column values (as `registry.services._apply_unit` would set them)."""
    modes = set(data.get("mingchu") or [])
    return {
        "kind": UnitKind(data["kind"]), "name": data["name"],
        "jurisdiction_code": data["jurisdiction_code"],
        "school_id": school,  # resolved to an id when written (the school may be new)
        "operation_mode": OperationMode(data["operation_mode"]) if data.get("operation_mode")
        else None,
        "address": data.get("address"), "uscc": data.get("uscc"),
        "licence_no": data.get("licence_no"), "licence_issued_on": data.get("licence_issued_on"),
        "licence_expires_on": data.get("licence_expires_on"),
        "wuchang_6t": bool(data.get("wuchang_6t")),
        "haccp": HaccpStatus(data.get("haccp") or "none"),
        "haccp_cert_expires_on": data.get("haccp_cert_expires_on"),
        "mc_transparent": "transparent" in modes, "mc_video": "video" in modes,
        "mc_internet": "internet" in modes,
    }


# --- supply links ---------------------------------------------------------------------------

@dataclass
class _Period:
    starts_on: date
    ends_on: date | None
    row: int | None  # None: a registered link the file leaves alone

    def overlaps(self, other: _Period) -> bool:
        return ((self.ends_on is None or self.ends_on >= other.starts_on)
                and (other.ends_on is None or other.ends_on >= self.starts_on))


def _plan_links(plan: _Plan, rows: list[Row]) -> Steps:
    outcome = plan.outcomes[LINKS.key]
    schema = LinkRowSchema()
    seen: dict[tuple, int] = {}
    periods: dict[tuple[Ref, Ref], list[_Period]] = defaultdict(list)
    valid: list[tuple[Row, tuple[Ref, Ref], _Period]] = []
    for index, row in enumerate(rows):
        if step := _step(index, len(rows)):
            yield step
        data, errors, _clean = _load(schema, row)
        licence = data.get("supplier_licence_no")
        code, name = data.get("school_jurisdiction_code"), data.get("school_name")
        supplier = school = None
        if licence:
            supplier = plan.file_units_by_licence.get(licence)
            if supplier is None and licence in plan.units_by_licence:
                supplier = plan.unit_ref(plan.units_by_licence[licence])
            if supplier is None:
                errors.setdefault("supplier_licence_no", "供餐单位不存在或不在您的管辖范围内。")
            elif supplier.kind != UnitKind.SUPPLIER.value:
                errors.setdefault("supplier_licence_no", "该许可证编号对应的单位不是学生集体用餐配送单位。")
        if code and code not in plan.scope:
            errors.setdefault("school_jurisdiction_code", OUT_OF_SCOPE)
        elif code and name:
            school = plan.find_school(code, name, None)
            if school is None:
                errors.setdefault("school_name", "找不到该学校：须在本文件“学校”表中，或已登记在该行政区划。")
        if not errors:
            key = (supplier, school, data["starts_on"])
            if key in seen:
                errors["starts_on"] = f"与第 {seen[key]} 行重复：供餐单位、学校和开始日期均相同。"
            seen.setdefault(key, row.number)
        plan.report(LINKS, row, errors)
        if errors:
            continue
        period = _Period(data["starts_on"], data.get("ends_on"), row.number)
        periods[(supplier, school)].append(period)
        valid.append((row, (supplier, school), period))
    for (supplier, school), file_periods in periods.items():
        registered = plan.links.get((supplier.id, school.id), []) if supplier.id and school.id else []
        starts = {p.starts_on for p in file_periods}
        file_periods.extend(_Period(link["starts_on"], link["ends_on"], None)
                            for link in registered if link["starts_on"] not in starts)
    for row, pair, period in valid:
        clash = next((other for other in periods[pair] if other is not period
                      and other.starts_on != period.starts_on and period.overlaps(other)), None)
        if clash is not None:
            where = f"第 {clash.row} 行" if clash.row else "已登记的供餐关系"
            plan.report(LINKS, row, {"starts_on": f"该供餐关系与{where}的期间重叠。"})
            continue
        supplier, school = pair
        existing = next((link for link in plan.links.get((supplier.id, school.id), [])
                         if link["starts_on"] == period.starts_on), None)
        values = {"supplier_id": supplier, "school_id": school, "starts_on": period.starts_on,
                  "ends_on": period.ends_on}
        _decide(outcome, None, existing, values, ("ends_on",))


# --- the import -----------------------------------------------------------------------------

def plan_import(parsed: ParsedWorkbook, jurisdiction_code: str,
                progress: Progress | None = None) -> _Plan:
    """Validate every row of a parsed workbook against the registry and the scope."""
    return run_steps(plan_steps(parsed, jurisdiction_code), progress)


def plan_steps(parsed: ParsedWorkbook, jurisdiction_code: str) -> Generator[int, None, _Plan]:
    """`plan_import` as it goes: yields the rows judged since the last step, returns the plan."""
    plan = _Plan(jurisdiction_code)
    plan.errors.extend(parsed.problems)
    plan.load_foreign(parsed)
    yield from _plan_schools(plan, parsed.rows[SCHOOLS.key])
    yield from _plan_units(plan, parsed.rows[UNITS.key])
    yield from _plan_links(plan, parsed.rows[LINKS.key])
    order = {s.title: i for i, s in enumerate(SHEETS)}
    plan.errors.sort(key=lambda p: (order.get(p.sheet, -1), p.row or 0))
    return plan


def _resolve(values: dict) -> dict:
    """Replace references to schools and units by their ids (known once they are written)."""
    return {k: (v.id if isinstance(v, Ref) else v) for k, v in values.items()}


def _write(model, outcome: Outcome, progress: Progress | None) -> None:
    """Set-based writes; the units written are named to the statistics' summaries, which
    recompute their figures at commit."""
    touched = {"stats_summaries": "touched"}
    if outcome.creates:
        rows = [_resolve(values) for _, values in outcome.creates]
        ids = db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True),
                                 rows, execution_options=touched).all()
        for (ref, _), new_id in zip(outcome.creates, ids, strict=True):
            if ref is not None:
                ref.id = new_id
        if model is Unit:
            summaries.touch(db.session, ids)
    if outcome.updates:
        db.session.execute(update(model), [{"id": row_id, **_resolve(values)}
                                           for row_id, values in outcome.updates],
                           execution_options=touched)
        if model is Unit:
            summaries.touch(db.session, [row_id for row_id, _ in outcome.updates])
    if progress and outcome.rows:
        progress(outcome.rows)


def apply_plan(plan: _Plan, progress: Progress | None = None) -> None:
    """Write a validated plan with set-based inserts and updates; flushes, never commits."""
    try:
        _write(School, plan.outcomes[SCHOOLS.key], progress)
        _write(Unit, plan.outcomes[UNITS.key], progress)
        _write(SupplyLink, plan.outcomes[LINKS.key], progress)
    except IntegrityError as exc:  # another writer got in between validation and writing
        raise ApiError(409, "导入期间登记数据被其他操作修改，请重新导入。") from exc
    db.session.expire_all()


def import_parsed(parsed: ParsedWorkbook, jurisdiction_code: str, *, dry_run: bool = False,
                  progress: Progress | None = None) -> ImportResult:
    """Validate a parsed workbook and, unless `dry_run` or any error, write all of it."""
    plan = plan_import(parsed, jurisdiction_code, progress)
    return finish_import(plan, parsed, dry_run=dry_run, progress=progress)


def finish_import(plan: _Plan, parsed: ParsedWorkbook, *, dry_run: bool,
                  progress: Progress | None = None) -> ImportResult:
    """Refuse a plan with errors (`ImportRejected`); else write it unless `dry_run`, and count."""
    if plan.errors:
        raise ImportRejected(plan.errors, plan.warnings, parsed)
    if not dry_run:
        apply_plan(plan, progress)
    sheets = [SheetCounts(s.title, o.rows, len(o.creates), len(o.updates), o.unchanged)
              for s in SHEETS for o in [plan.outcomes[s.key]]]
    return ImportResult(dry_run, sheets, plan.warnings)


@dataclass(frozen=True)
class Reading:
    """A step of reading an upload: `rows` data rows read so far in sheet `sheet`."""

    sheet: str
    rows: int


@dataclass(frozen=True)
class Checking:
    """A step of validating an upload: `done` of its `total` rows judged."""

    done: int
    total: int


def check_steps(data: bytes, jurisdiction_code: str
                ) -> Generator[Reading | Checking, None, ImportResult]:
    """The dry run of an upload that has passed `check_archive`, as it goes: yields where the
    reading and then the validation are, returns what the import would do; raises
    `ImportRejected` (every error) or `UnreadableWorkbook` like `import_workbook`."""
    parsed = yield from _mapped(read_steps(data), lambda step: Reading(*step))
    judged = 0

    def checking(rows: int) -> Checking:
        nonlocal judged
        judged += rows
        return Checking(judged, parsed.total)

    yield Checking(0, parsed.total)
    plan = yield from _mapped(plan_steps(parsed, jurisdiction_code), checking)
    return finish_import(plan, parsed, dry_run=True)


def _mapped(steps: Generator[Any, None, Any], make: Callable[[Any], Any]) -> Generator[Any, None, Any]:
    """The steps of `steps`, each turned by `make`; returns what `steps` returns."""
    while True:
        try:
            step = next(steps)
        except StopIteration as stop:
            return stop.value
        yield make(step)


def import_workbook(data: bytes, jurisdiction_code: str, *, dry_run: bool = False,
                    keep_values: bool = False) -> ImportResult:
    """Import an uploaded template (bytes) within `jurisdiction_code`'s subtree: all or nothing.

    `keep_values` keeps the cells read, for an annotated copy of a rejected workbook
    (`ImportRejected.parsed`), which then needs no second reading."""
    return import_parsed(read_workbook(data, keep_values=keep_values), jurisdiction_code,
                         dry_run=dry_run)
