"""The demo's registry: schools, their canteens, catering suppliers, periphery shops, stalls.

Everything goes through the registry services (`create_school`, `create_unit`, `create_link`)
with the demo admin, so every record passes the same checks as one entered through the API.
"""

from __future__ import annotations

from datetime import date, timedelta

from foodsafety.demo_data.context import Demo, SchoolPlan, UnitPlan
from foodsafety.demo_data.names import (
    COUNTIES,
    KINDERGARTEN_WORDS,
    PERIPHERY_CATERING,
    PERIPHERY_SALES,
    PLACE_WORDS,
    ROADS,
    SCHOOL_WORDS,
    SHOP_WORDS,
    SUPPLIER_NAMES,
    UNLICENSED_NAMES,
    VOCATIONAL_NAMES,
    chinese_number,
)
from foodsafety.registry.identifiers import USCC_ALPHABET, iso7064_mod11_10, uscc_check_char
from foodsafety.registry.schemas import SchoolInSchema, SupplyLinkInSchema, UnitInSchema
from foodsafety.registry.services import create_link, create_school, create_unit

STAGES = (("kindergarten", 40), ("primary", 34), ("secondary", 19), ("vocational", 7))
# The school whose account the demo prints, and a second name the issue quotes.
DEMO_SCHOOL = ("510104", "primary", "成都市锦江区第三实验小学")
FIXED_SCHOOLS = (DEMO_SCHOOL, ("510105", "kindergarten", "青羊区蓝天幼儿园"))
BAD_USCC_SCHOOLS = 2  # schools registered with a failing check character (a warning)
LICENCE_YEARS = 5
# How well units keep to the rules: (p general item fails, p key item fails) per tier, and
# each kind's tier weights (good, fair, poor).
RISK_TIERS = ((0.008, 0.002), (0.035, 0.015), (0.12, 0.2))
RISK_WEIGHTS = {"canteen": (55, 33, 12), "supplier": (60, 32, 8), "periphery": (40, 40, 20),
                "unlicensed": (0, 30, 70)}


class Registry:
    """Generates names and identifiers without repeats, and registers the records."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.rng = demo.rng
        self.names: set[str] = set()
        self.usccs: set[str] = set()
        self.licence_seq = {county: self.rng.randint(100, 900) * 10 for county in COUNTIES}
        self.bad_uscc_left = BAD_USCC_SCHOOLS

    # --- identifiers ----------------------------------------------------------------------

    def uscc(self, prefix: str, county: str, *, valid: bool = True) -> str:
        """A 统一社会信用代码: registration authority and type, county, organisation code, check."""
        while True:
            org = "".join(self.rng.choice(USCC_ALPHABET[:10] if i < 8 else USCC_ALPHABET)
                          for i in range(9))
            body = f"{prefix}{county}{org}"
            check = uscc_check_char(body)
            if not valid:
                check = USCC_ALPHABET[(USCC_ALPHABET.index(check) + 7) % 31]
            code = body + check
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    def licence(self, business: str, county: str) -> str:
        """A 食品经营许可证号 with a valid ISO 7064 MOD 11,10 check digit."""
        self.licence_seq[county] += self.rng.randint(1, 37)
        body = f"{business}{county}{self.licence_seq[county] % 1_000_000:06d}"
        return f"JY{body}{iso7064_mod11_10(body)}"

    def licence_dates(self, expired: bool) -> tuple[str, str]:
        """Issue and expiry dates (five years, as the regulation grants); expired ones lapsed this year."""
        today = self.demo.today
        days = self.rng.randint(LICENCE_YEARS * 365 + 20, LICENCE_YEARS * 365 + 300) if expired \
            else self.rng.randint(30, LICENCE_YEARS * 365 - 60)
        issued = today - timedelta(days=days)
        expires = _add_years(issued, LICENCE_YEARS) - timedelta(days=1)
        return issued.isoformat(), expires.isoformat()

    def address(self, county: str) -> str:
        demo = self.demo
        return f"{demo.city_of(county)}{demo.names[county]}{self.rng.choice(ROADS)}" \
               f"{self.rng.randint(1, 399)}号"

    def unique(self, make) -> str:
        """Draw names from `make()` until one is new."""
        for _ in range(200):
            name = make()
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("演示数据名称已用尽")

    # --- schools --------------------------------------------------------------------------

    def school_name(self, county: str, stage: str) -> str:
        rng, demo = self.rng, self.demo
        city, cname = demo.city_of(county), demo.names[county]
        num = chinese_number(rng.randint(1, 30))
        places = PLACE_WORDS[county[:4] + "00"]
        templates = {
            "kindergarten": (f"{cname}{rng.choice(KINDERGARTEN_WORDS)}幼儿园",
                             f"{cname}第{num}幼儿园", f"{cname}{rng.choice(places)}幼儿园",
                             f"{city}{cname}{rng.choice(KINDERGARTEN_WORDS)}幼儿园"),
            "primary": (f"{city}{cname}第{num}实验小学", f"{cname}{rng.choice(places)}小学",
                        f"{city}{cname}{rng.choice(SCHOOL_WORDS)}小学",
                        f"{cname}{rng.choice(places)}{rng.choice(SCHOOL_WORDS)}小学"),
            "secondary": (f"{city}第{num}中学", f"{city}{cname}{rng.choice(SCHOOL_WORDS)}中学",
                          f"{cname}{rng.choice(places)}初级中学",
                          f"{city}{cname}{rng.choice(places)}中学"),
            "vocational": tuple(t.format(city=city, county=cname, word=rng.choice(SCHOOL_WORDS))
                                for t in VOCATIONAL_NAMES),
        }
        return rng.choice(templates[stage])

    def add_school(self, county: str, stage: str, name: str | None = None) -> SchoolPlan:
        rng = self.rng
        name = name or self.unique(lambda: self.school_name(county, stage))
        self.names.add(name)
        uscc = None
        if rng.random() < 0.75:
            private = stage == "kindergarten" and rng.random() < 0.5
            valid = not (self.bad_uscc_left and rng.random() < 0.05)
            self.bad_uscc_left -= not valid
            uscc = self.uscc("52" if private else "12", county, valid=valid)
        data = SchoolInSchema().load({"name": name, "stage": stage, "jurisdiction_code": county,
                                      "uscc": uscc, "address": self.address(county)})
        school = create_school(self.demo.admin, data)
        self.demo.counts["schools"] += 1
        self.demo.counts["school_warnings"] += len(school.warnings)
        plan = SchoolPlan(school.id, school.name, county, stage)
        self.demo.schools.append(plan)
        return plan

    # --- units ----------------------------------------------------------------------------

    def status(self, *, wuchang: float, haccp: tuple[float, float], video: float,
               internet: float) -> dict:
        """Registration-time status: 五常/6T, HACCP (with certificate expiry) and 明厨亮灶 modes."""
        rng = self.rng
        draw = rng.random()
        level = "certified" if draw < haccp[1] else "established" if draw < sum(haccp) else "none"
        expires = None
        if level == "certified":
            expires = (self.demo.today + timedelta(days=rng.randint(-90, 1000))).isoformat()
        mingchu = [mode for mode, p in (("transparent", 0.9), ("video", video),
                                        ("internet", internet)) if rng.random() < p]
        return {"wuchang_6t": rng.random() < wuchang, "haccp": level,
                "haccp_cert_expires_on": expires, "mingchu": mingchu}

    def add_unit(self, kind: str, county: str, name: str, *, na: set[str],
                 business: str | None, school_id: int | None = None, contracted: bool = False,
                 sales_only: bool = False, status: dict | None = None,
                 uscc: str | None = None) -> UnitPlan:
        rng = self.rng
        status = status or {"wuchang_6t": False, "haccp": "none", "haccp_cert_expires_on": None,
                            "mingchu": []}
        raw = {"kind": kind, "name": name, "jurisdiction_code": county, "school_id": school_id,
               "address": self.address(county), "uscc": uscc, **status}
        if kind == "canteen":
            raw["operation_mode"] = "contracted" if contracted else "self_run"
        if business:
            expired = rng.random() < 0.03
            issued, expires = self.licence_dates(expired)
            raw.update(licence_no=self.licence(business, county), licence_issued_on=issued,
                       licence_expires_on=expires)
            self.demo.counts["expired_licences"] += expired
        unit, _ = create_unit(self.demo.admin, UnitInSchema().load(raw))
        self.demo.counts[f"units_{kind}"] += 1
        self.demo.counts["unit_warnings"] += len(unit.warnings)
        p_general, p_key = rng.choices(RISK_TIERS, weights=RISK_WEIGHTS[kind])[0]
        plan = UnitPlan(
            id=unit.id, kind=kind, county=county, name=unit.name, school_id=school_id,
            p_general=p_general, p_key=p_key, na_items=frozenset(na), wuchang_6t=status["wuchang_6t"],
            haccp=status["haccp"],
            haccp_cert_expires_on=date.fromisoformat(status["haccp_cert_expires_on"])
            if status["haccp_cert_expires_on"] else None,
            mingchu=list(status["mingchu"]), licensed=business is not None,
            licence_no=unit.licence_no, contracted=contracted, sales_only=sales_only)
        self.demo.units.append(plan)
        return plan

    def maybe(self, p: float, *codes: str) -> set[str]:
        """Checklist items that do not apply to a unit, each with probability `p`."""
        return {code for code in codes if self.rng.random() < p}

    def add_canteens(self, school: SchoolPlan) -> None:
        rng = self.rng
        count = 2 if school.stage != "kindergarten" and rng.random() < 0.3 else 1
        for index in range(count):
            contracted = rng.random() < 0.25
            name = f"{school.name}食堂" if index == 0 else \
                f"{school.name}{rng.choice(('第二食堂', '教工食堂', '学生二食堂'))}"
            na = self.maybe(0.6, "9.1") | self.maybe(0.25, "6.3")
            if rng.random() < 0.35:
                na |= {"7.3", "8.1"}
            if not contracted:
                na.add("10.5")  # the school's contract with a caterer
            self.add_unit(
                "canteen", school.county, name, na=na,
                business="3", school_id=school.id, contracted=contracted,
                status=self.status(wuchang=0.6, haccp=(0.18, 0.1), video=0.65, internet=0.35),
                uscc=self.uscc("91", school.county) if contracted else None)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _spread(demo: Demo, total: int) -> list[str]:
    """`total` counties drawn by the counties' relative sizes, every county at least once."""
    counties = list(COUNTIES)
    weights = [size for _, size in COUNTIES.values()]
    chosen = counties[:total] if total < len(counties) else list(counties)
    chosen += demo.rng.choices(counties, weights=weights, k=max(0, total - len(chosen)))
    return chosen


def create_registry(demo: Demo) -> None:
    """Schools with their canteens, suppliers with their supply links, periphery shops, stalls."""
    reg = Registry(demo)
    rng = demo.rng
    for county, stage, name in FIXED_SCHOOLS:
        school = reg.add_school(county, stage, name)
        if name == DEMO_SCHOOL[2]:
            demo.demo_school_id = school.id
    for county, (_, size) in COUNTIES.items():
        for _ in range(demo.scaled(45 * size, minimum=3)):
            stage = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]
            reg.add_school(county, stage)
    for school in demo.schools:
        reg.add_canteens(school)
    # The demo school's main canteen leaves an open order at its last inspection.
    next(u for u in demo.units if u.school_id == demo.demo_school_id).force_open_order = True
    demo.say(f"  已登记 {demo.counts['schools']} 所学校、{demo.counts['units_canteen']} 个学校食堂")

    _suppliers(demo, reg)
    _periphery(demo, reg)
    _unlicensed(demo, reg)
    demo.say(f"  已登记 {demo.counts['units_supplier']} 家集体用餐配送单位、"
             f"{demo.counts['units_periphery']} 家校园周边经营者、"
             f"{demo.counts['units_unlicensed']} 个无证经营者、"
             f"{demo.counts['supply_links']} 条供餐关系")


def _suppliers(demo: Demo, reg: Registry) -> None:
    rng = demo.rng
    for county in _spread(demo, demo.scaled(15, minimum=2)):
        city = demo.city_of(county)
        name = reg.unique(lambda city=city: rng.choice(SUPPLIER_NAMES).format(city=city))
        supplier = reg.add_unit(
            "supplier", county, name,
            na=reg.maybe(0.7, "9.1") | reg.maybe(0.1, "7.3", "8.1"), business="2",
            status=reg.status(wuchang=0.8, haccp=(0.35, 0.4), video=0.9, internet=0.7),
            uscc=reg.uscc("91", county))
        same_city = [s for s in demo.schools if s.county[:4] == county[:4]
                     and s.stage in ("kindergarten", "primary", "secondary")]
        for school in rng.sample(same_city, min(len(same_city), rng.randint(3, 10))):
            starts = demo.today - timedelta(days=rng.randint(200, 900))
            ends = None
            if rng.random() < 0.2:  # the contract ended some time this year
                ends = max(starts, demo.today - timedelta(days=rng.randint(30, 200)))
            data = SupplyLinkInSchema().load({
                "supplier_id": supplier.id, "school_id": school.id,
                "starts_on": starts.isoformat(), "ends_on": ends.isoformat() if ends else None})
            create_link(demo.admin, data)
            demo.counts["supply_links"] += 1


def _periphery(demo: Demo, reg: Registry) -> None:
    rng = demo.rng
    for county in _spread(demo, demo.scaled(60, minimum=4)):
        sales = rng.random() < 0.4
        kinds = PERIPHERY_SALES if sales else PERIPHERY_CATERING
        name = reg.unique(lambda kinds=kinds: f"{rng.choice(SHOP_WORDS)}{rng.choice(kinds)}"
                                              f"（{rng.choice(ROADS)}店）")
        if sales:  # the food-sales checklist: fresh produce, special foods, chilled goods
            na = reg.maybe(0.6, "4.2") | reg.maybe(0.9, "6.1") | reg.maybe(0.4, "5.6") \
                | reg.maybe(0.5, "5.4", "5.5")
        else:
            na = reg.maybe(0.7, "7.3", "8.1") | reg.maybe(0.8, "7.4") \
                | reg.maybe(0.5, "9.1") | reg.maybe(0.4, "6.3")
        reg.add_unit("periphery", county, name, na=na,
                     business="1" if sales else "2", sales_only=sales,
                     status=reg.status(wuchang=0.2, haccp=(0.05, 0.0), video=0.2, internet=0.1),
                     uscc=reg.uscc("92", county) if rng.random() < 0.7 else None)


def _unlicensed(demo: Demo, reg: Registry) -> None:
    rng = demo.rng
    for county in _spread(demo, demo.scaled(10, minimum=3)):
        nearby = [s for s in demo.schools if s.county == county]
        name = reg.unique(lambda nearby=nearby: rng.choice(UNLICENSED_NAMES).format(
            school=rng.choice(nearby).name, road=rng.choice(ROADS)))
        reg.add_unit("unlicensed", county, name, na=reg.maybe(0.5, "2.3", "5.1"), business=None)
