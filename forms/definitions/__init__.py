"""Load the versioned checklist definitions (`<form_id>.v<version>.json`) in this folder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from foodsafety.vocabulary import Category

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class FormItem:
    code: str
    text: str
    key: bool
    category: str
    section: str


@dataclass(frozen=True)
class FormDefinition:
    id: str
    version: int
    unit_kind: str
    title: str
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


def _parse(raw: dict, source: str) -> FormDefinition:
    """Build a definition, refusing an inconsistent file at load time rather than at use."""
    definition = FormDefinition(
        id=raw["id"],
        version=int(raw["version"]),
        unit_kind=raw["unit_kind"],
        title=raw["title"],
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
        if item.category == "distribution" and definition.unit_kind != "supplier":
            raise ValueError(f"{source}: distribution applies to catering suppliers only")
    return definition


class FormRegistry:
    """All definitions of a folder; old versions stay loadable for the submissions made with them."""

    def __init__(self, folder: Path = HERE) -> None:
        self.folder = Path(folder)
        self._by_key: dict[tuple[str, int], FormDefinition] = {}
        for path in sorted(self.folder.glob("*.v*.json")):
            definition = _parse(json.loads(path.read_text(encoding="utf-8")), path.name)
            self._by_key[(definition.id, definition.version)] = definition

    def get(self, form_id: str, version: int) -> FormDefinition | None:
        return self._by_key.get((form_id, version))

    def latest(self, unit_kind: str) -> FormDefinition | None:
        """The newest version of the form for a unit kind (what a new inspection uses)."""
        candidates = [d for d in self._by_key.values() if d.unit_kind == unit_kind]
        return max(candidates, key=lambda d: d.version, default=None)

    def all(self) -> list[FormDefinition]:
        return sorted(self._by_key.values(), key=lambda d: (d.id, d.version))


forms = FormRegistry()
