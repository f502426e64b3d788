"""The phone's live result and the server's stored result come from one rule: the JavaScript
port (forms/mobile/static/rules.js) must agree with forms/rules.py on every case — and so must
the phone's choice of checklist for a unit with the registry's."""

from __future__ import annotations

import copy
import json
import random

from foodsafety.vocabulary import UnitKind
from forms import evaluate, forms
from forms.definitions import FormRegistry

FIELDS = ("result", "items_checked", "key_items_checked", "key_items_failed",
          "general_applicable", "general_passed", "general_pass_rate", "failed_items")

RUN_IN_BROWSER = """async (cases) => {
  const {evaluate} = await import('/m/static/rules.js');
  return cases.map((c) => evaluate(c.definition, c.answers, c.extra));
}"""


def _definitions(tmp_path):
    """The shipped checklists plus one with other thresholds: the rule comes from the data."""
    raws = [d.raw for d in forms.all()]
    strict = copy.deepcopy(forms.get("canteen", 2).raw)
    strict.update(version=3, result_rule={"max_key_failures_for_basic": 0,  # a province's refinement
                                          "basic_min_general_pass_rate": 85})
    for raw in [*raws, strict]:
        (tmp_path / f"{raw['id']}.v{raw['version']}.json").write_text(
            json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return FormRegistry(tmp_path).all()


def _cases(definition, rng):
    """Edge cases around both thresholds, then random answer sheets."""
    codes = list(definition.items)
    key = [c for c in codes if definition.items[c].key]
    general = [c for c in codes if not definition.items[c].key]
    sheets = [{c: value for c in codes} for value in ("yes", "no", "na")]
    for failed_keys in range(min(len(key), 3) + 1):
        for failed_general in range(len(general) + 1):
            sheet = dict.fromkeys(codes, "yes")
            sheet.update(dict.fromkeys(key[:failed_keys], "no"))
            sheet.update(dict.fromkeys(general[:failed_general], "no"))
            sheets.append(sheet)
    sheets.append({**dict.fromkeys(key, "yes"), **dict.fromkeys(general, "na"), key[0]: "no"})
    sheets.append({**dict.fromkeys(key, "na"), **dict.fromkeys(general, "yes"), general[0]: "no"})
    for _ in range(80):
        weights = rng.choice([(90, 7, 3), (70, 20, 10), (40, 40, 20)])
        sheets.append({c: rng.choices(("yes", "no", "na"), weights)[0] for c in codes})
    return sheets


def test_the_phone_grades_exactly_as_the_server(phone, tmp_path):
    rng = random.Random(20220315)
    cases, expected = [], []
    for definition in _definitions(tmp_path):
        for answers in _cases(definition, rng):
            # Problems found outside the checklist count as failed general items (0 for most).
            extra = rng.choice((0, 0, 0, 1, 2))
            cases.append({"definition": definition.raw, "answers": answers, "extra": extra})
            e = evaluate(definition, answers, extra)
            expected.append({"result": e.result, "items_checked": e.items_checked,
                             "key_items_checked": e.key_items_checked,
                             "key_items_failed": e.key_items_failed,
                             "general_applicable": e.general_applicable,
                             "general_passed": e.general_passed,
                             "general_pass_rate": e.general_pass_rate,
                             "failed_items": list(e.failed_items)})
    assert {e["result"] for e in expected} == {"compliant", "basic", "noncompliant"}

    phone.page.goto("/")
    got = phone.page.evaluate(RUN_IN_BROWSER, cases)
    disagreements = [
        (case["definition"]["id"], case["answers"], want, {k: have[k] for k in FIELDS})
        for case, want, have in zip(cases, expected, got, strict=True)
        if want != {k: have[k] for k in FIELDS}
    ]
    assert not disagreements, f"{len(disagreements)} of {len(cases)} cases differ: {disagreements[:3]}"
    assert len(cases) > 400


CHOOSE_IN_BROWSER = """async ({inForce, units}) => {
  const {chooseForm} = await import('/m/static/rules.js');
  return units.map((unit) => chooseForm(inForce, unit));
}"""


def test_the_phone_chooses_the_checklist_the_server_would(phone, login_as):
    listed = login_as("inspector", "510104").get("/api/v1/forms").get_json()
    in_force = [{"key": f"{f['id']}@{f['version']}", "applies_to": f["applies_to"]}
                for f in listed if f["latest"]]
    licences = [None, "", "JY15101040000018", "JY25101040000017", "JY35101040000016",
                "JY45101040000015", "JY2510104000001", "jy15101040000018", "SP15101040000018"]
    units = [{"kind": kind, "licence_no": licence} for kind in UnitKind.codes() for licence in licences]
    expected = [(lambda d: f"{d.id}@{d.version}")(forms.for_unit(u["kind"], u["licence_no"]))
                for u in units]
    assert {"sales@1", "periphery@2"} <= set(expected)
    phone.page.goto("/")
    assert phone.page.evaluate(CHOOSE_IN_BROWSER, {"inForce": in_force, "units": units}) == expected
