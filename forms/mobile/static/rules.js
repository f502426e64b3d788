// The grading rule of the 结果记录表 — the same algorithm as forms/rules.py, so the phone shows
// the result the server will store (tests/browser/test_rules_agree.py holds the two together).
//
// 符合: no item failed. 不符合: more key items failed than `max_key_failures_for_basic`, or the
// general-item pass rate is below `basic_min_general_pass_rate` percent. Otherwise 基本符合.
// 合理缺项 ("na") items leave the denominator. Unanswered items are left out as well, so that a
// partly filled form shows a provisional result; for a complete form this equals the server's.
// Each of `extraFindings` problems found outside the checklist is one more failed general item.

export function items(definition) {
  return definition.sections.flatMap((section) =>
    section.items.map((item) => ({...item, section: section.code})));
}

export function evaluate(definition, answers, extraFindings = 0) {
  const rule = definition.result_rule;
  let keyChecked = 0;
  let keyFailed = 0;
  let generalApplicable = extraFindings;
  let generalPassed = 0;
  let answered = 0;
  const failed = [];
  for (const item of items(definition)) {
    const answer = answers[item.code];
    if (answer !== 'yes' && answer !== 'no' && answer !== 'na') continue;
    answered += 1;
    if (answer === 'na') continue;
    if (answer === 'no') failed.push(item.code);
    if (item.key) {
      keyChecked += 1;
      if (answer === 'no') keyFailed += 1;
    } else {
      generalApplicable += 1;
      if (answer === 'yes') generalPassed += 1;
    }
  }
  // Integer arithmetic, as on the server: passed * 100 < threshold * applicable.
  const rateBelow = generalApplicable > 0 &&
    generalPassed * 100 < rule.basic_min_general_pass_rate * generalApplicable;
  let result;
  if (failed.length === 0 && extraFindings === 0) result = 'compliant';
  else if (keyFailed > rule.max_key_failures_for_basic || rateBelow) result = 'noncompliant';
  else result = 'basic';
  return {
    result,
    items_checked: keyChecked + generalApplicable - extraFindings,
    key_items_checked: keyChecked,
    key_items_failed: keyFailed,
    general_applicable: generalApplicable,
    general_passed: generalPassed,
    general_pass_rate: generalApplicable ? Math.floor((generalPassed * 100) / generalApplicable) : null,
    failed_items: failed,
    answered,
    total: items(definition).length,
  };
}

// Which checklist a new inspection of a unit uses — the same choice as FormRegistry.for_unit in
// forms/definitions: among the definitions in force (`{key, applies_to}` from GET /api/v1/forms),
// the one whose unit kinds hold the unit's kind and whose business types hold its licence's type
// digit (JY + 1 食品销售 / 2 餐饮服务 / 3 单位食堂; none without a well-formed licence).
const BUSINESS_TYPES = {1: 'sales', 2: 'catering', 3: 'unit_canteen'};

export function businessType(licenceNo) {
  const match = /^JY([0-9])[0-9]{13}$/.exec(licenceNo || '');
  return (match && BUSINESS_TYPES[match[1]]) || 'none';
}

export function chooseForm(inForce, unit) {
  const business = businessType(unit.licence_no);
  const chosen = inForce.find(({applies_to: to}) =>
    to.unit_kinds.includes(unit.kind) && to.business_types.includes(business));
  return chosen ? chosen.key : null;
}
