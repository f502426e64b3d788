"""Each vocabulary is defined once: the statistics rows, the checklists and the phone read the
same codes and labels."""

from __future__ import annotations

from foodsafety.statistics.definition import TABLE
from foodsafety.vocabulary import VOCABULARIES, BusinessType, Category, Result, UnitKind, as_json
from forms import forms


def test_problem_rows_are_labelled_with_their_category_as_the_official_table_words_it():
    for row in TABLE.rows:
        if row.kind == "problem":
            assert row.label == f"{Category(row.category).label}（家）", row.code


def test_every_checklist_item_feeds_a_known_category_and_every_form_a_known_kind():
    for definition in forms.all():
        assert set(definition.applies_to.unit_kinds) <= set(UnitKind.codes())
        assert set(definition.applies_to.business_types) <= set(BusinessType.codes())
        for item in definition.items.values():
            assert item.category in Category.codes()


def test_a_vocabulary_reaches_clients_as_codes_and_labels_in_display_order():
    sent = as_json()
    assert set(sent) == set(VOCABULARIES)
    assert sent["result"] == [{"code": "compliant", "label": "符合"},
                              {"code": "basic", "label": "基本符合"},
                              {"code": "noncompliant", "label": "不符合"}]
    assert Result("basic") == "basic" and Result.BASIC.label == "基本符合"
    assert UnitKind.by_label("无证经营者") is UnitKind.UNLICENSED
