"""Load the versioned checklist definitions (`<form_id>.v<version>.json`) in this folder.

A definition says what it `applies_to`: unit kinds and, optionally, business types (主体业态, the
licence number's type digit). The newest version of each id is in force; in force, the
definitions divide every (unit kind, business type) they name between them, exactly one each, so
a new inspection's checklist follows from the unit alone. Older versions stay loadable for the
records made with them. A v1 file names one `unit_kind` and applies to all its business types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from foodsafety.registry.identifiers import business_type
from foodsafety.vocabulary import BusinessType, Category, UnitKind

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class FormItem:
    code: str
    text: str
    key: bool
    category: str
    section: str


@dataclass(frozen=True)
class AppliesTo:
    """The units a definition is for: unit kinds × business types (every type when not named)."""

    unit_kinds: tuple[str, ...]
    business_types: tuple[str, ...]

    def covers(self, unit_kind: str, business: str) -> bool:
        return unit_kind in self.unit_kinds and business in self.business_types

    def pairs(self) -> set[tuple[str, str]]:
        return {(kind, business) for kind in self.unit_kinds for business in self.business_types}


@dataclass(frozen=True)
class FormDefinition:
    id: str
    version: int
    applies_to: AppliesTo
    title: str
    basis: str
    effective_from: str
    result_rule: dict
    sections: tuple[dict, ...]
    raw: dict = field(repr=False, compare=False)

    @cached_property
    def items(self) -> dict[str, FormItem]:
        """Items by code, in checklist order."""
        return {
            item["code"]: FormItem(item["code"], item["text"], item["key"], item["category"],
                                   section["code"])
            for section in self.sections
            for item in section["items"]
        }


def _applies_to(raw: dict, source: str) -> AppliesTo:
    declared = raw.get("applies_to") or {"unit_kinds": [raw["unit_kind"]]}
    kinds = tuple(declared["unit_kinds"])
    businesses = tuple(declared.get("business_types") or BusinessType.codes())
    if not kinds or not set(kinds) <= set(UnitKind.codes()):
        raise ValueError(f"{source}: applies_to names an unknown unit kind: {kinds}")
    if not set(businesses) <= set(BusinessType.codes()):
        raise ValueError(f"{source}: applies_to names an unknown business type: {businesses}")
    return AppliesTo(kinds, businesses)


def _parse(raw: dict, source: str) -> FormDefinition:
    """Build a definition, refusing an inconsistent file at load time rather than at use."""
    definition = FormDefinition(
        id=raw["id"],
        version=int(raw["version"]),
        applies_to=_applies_to(raw, source),
        title=raw["title"],
        basis=raw["basis"],
        effective_from=raw["effective_from"],
        result_rule=raw["result_rule"],
        sections=tuple(raw["sections"]),
        raw=raw,
    )
    codes = [i["code"] for s in definition.sections for i in s["items"]]
    if len(codes) != len(set(codes)):
        raise ValueError(f"{source}: duplicate item codes")
    for item in definition.items.values():
        if item.category not in Category.codes():
            raise ValueError(f"{source}: item {item.code} has unknown category {item.category}")
        if item.category == "distribution" and definition.applies_to.unit_kinds != ("supplier",):
            raise ValueError(f"{source}: distribution applies to catering suppliers only")
    return definition


def _check_in_force(definitions: list[FormDefinition]) -> None:
    """Every (unit kind, business type) named by a definition in force has exactly one."""
    owner: dict[tuple[str, str], FormDefinition] = {}
    for definition in definitions:
        for pair in definition.applies_to.pairs():
            if pair in owner:
                raise ValueError(f"{owner[pair].id}.v{owner[pair].version} and {definition.id}"
                                 f".v{definition.version} both apply to {pair}")
            owner[pair] = definition
    for kind in {kind for kind, _ in owner}:
        missing = [b for b in BusinessType.codes() if (kind, b) not in owner]
        if missing:
            raise ValueError(f"no definition in force applies to {kind} with {missing}")


class FormRegistry:
    """All definitions of a folder; old versions stay loadable for the submissions made with them."""

    def __init__(self, folder: Path = HERE) -> None:
        self.folder = Path(folder)
        self._by_key: dict[tuple[str, int], FormDefinition] = {}
        for path in sorted(self.folder.glob("*.v*.json")):
            definition = _parse(json.loads(path.read_text(encoding="utf-8")), path.name)
            self._by_key[(definition.id, definition.version)] = definition
        _check_in_force(self.in_force())

    def get(self, form_id: str, version: int) -> FormDefinition | None:
        return self._by_key.get((form_id, version))

    def in_force(self) -> list[FormDefinition]:
        """The newest version of each id: what new inspections use."""
        newest: dict[str, FormDefinition] = {}
        for definition in sorted(self._by_key.values(), key=lambda d: d.version):
            newest[definition.id] = definition
        return sorted(newest.values(), key=lambda d: d.id)

    def is_in_force(self, definition: FormDefinition) -> bool:
        return any(d is definition for d in self.in_force())

    def for_unit(self, unit_kind: str, licence_no: str | None) -> FormDefinition | None:
        """The checklist a new inspection of a unit uses: by its kind and its licence's business
        type (a periphery shop with a JY1… licence gets the food-sales list)."""
        business = business_type(licence_no).value
        return next((d for d in self.in_force() if d.applies_to.covers(unit_kind, business)), None)

    def all(self) -> list[FormDefinition]:
        return sorted(self._by_key.values(), key=lambda d: (d.id, d.version))


forms = FormRegistry()
