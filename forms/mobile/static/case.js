// #/case/new?unit=<id>&inspection=<uuid> files an enforcement case (立案) from an inspection or a
// unit; #/case/<id> records its later stages (decision with fine and confiscation, revocation,
// 取缔, transfer to the police, criminal filing). The phone checks what the API checks
// (foodsafety/enforcement/services.py `_validate`) before sending, and shows the server's answer
// next to the field it names. Cases need the network: their numbers are checked for uniqueness.
import {NetworkError, flattenErrors, messageOf, request} from '/static/web/api.js';
import {clear, dayLabel, errorList, h} from '/static/web/dom.js';
import {fieldLabel} from './labels.js';
import {isoDay} from './numbers.js';

const DATES = ['filed_on', 'decided_on', 'licence_revoked_on', 'banned_on', 'transferred_on', 'criminal_filed_on'];
const MONEY = ['fine_yuan', 'confiscated_yuan'];
const MONEY_PATTERN = /^\d{1,12}(\.\d{1,2})?$/;

async function fetchJson(path) {
  try {
    const answer = await request(path);
    return answer.ok ? answer.data : null;
  } catch (error) {
    if (error instanceof NetworkError) return null;
    throw error;
  }
}

// The API's whole-case checks, restated for the phone; {field: [message]}.
export function caseProblems(values, unit) {
  const errors = {};
  const add = (name, message) => (errors[name] ||= []).push(message);
  const today = isoDay(new Date());
  if ('case_no' in values && !values.case_no) add('case_no', '请填写案件编号。');
  if (!values.filed_on) add('filed_on', '请填写立案日期。');
  for (const name of DATES) {
    const value = values[name];
    if (value && value > today) add(name, '日期不能晚于今天。');
    if (value && name !== 'filed_on' && values.filed_on && value < values.filed_on) add(name, '日期不能早于立案日期。');
  }
  for (const name of MONEY) {
    if (values[name] && !MONEY_PATTERN.test(values[name])) add(name, '请填写金额（元），最多两位小数。');
  }
  if ((Number(values.fine_yuan) > 0 || Number(values.confiscated_yuan) > 0) && !values.decided_on) {
    add('decided_on', '有罚没金额时必须填写处罚决定日期。');
  }
  if (values.criminal_filed_on && !values.transferred_on) add('criminal_filed_on', '刑事立案前应先移送公安机关。');
  else if (values.criminal_filed_on && values.criminal_filed_on < values.transferred_on) {
    add('criminal_filed_on', '刑事立案日期不能早于移送日期。');
  }
  if (values.licence_revoked_on && unit && !unit.licence_no) add('licence_revoked_on', '该单位没有登记许可证，无法吊销。');
  if (values.banned_on && unit && unit.kind !== 'unlicensed') add('banned_on', '取缔仅适用于无证经营者。');
  return errors;
}

function inputFor(name, value) {
  if (name === 'summary') return h('textarea', {id: `case-${name}`, name}, value || '');
  const type = DATES.includes(name) ? 'date' : 'text';
  return h('input', {id: `case-${name}`, name, type, value: value ?? '', inputmode: MONEY.includes(name) ? 'decimal' : null,
    autocomplete: 'off'});
}

// A form over `names`; returns {node, values(), show(errors)}.
function caseForm(names, initial, unit) {
  const inputs = {};
  const slots = {};
  const label = (name) => `${fieldLabel(name)}${MONEY.includes(name) ? '（元）' : ''}`;
  const visible = names.filter((name) => !(name === 'banned_on' && unit?.kind !== 'unlicensed') &&
    !(name === 'licence_revoked_on' && unit && !unit.licence_no));
  const node = h('div', {}, visible.map((name) => {
    inputs[name] = inputFor(name, initial[name]);
    slots[name] = h('div', {class: 'field-errors', dataset: {errorsFor: name}});
    return h('div', {class: 'field', dataset: {path: name}}, h('label', {for: `case-${name}`}, label(name)), inputs[name], slots[name]);
  }));
  const general = h('div', {class: 'field-errors', id: 'case-errors'});
  node.append(general);
  return {
    node,
    values: () => Object.fromEntries(visible.map((name) => [name, inputs[name].value.trim()])),
    show(errors, message) {
      for (const name of visible) slots[name].replaceChildren(...errorList(errors[name]));
      const other = Object.entries(errors).filter(([name]) => !visible.includes(name))
        .map(([name, messages]) => `${fieldLabel(name)}：${messages.join(' ')}`);
      general.replaceChildren(...errorList([...(message ? [message] : []), ...other]));
    },
  };
}

const offlineNotice = () => h('p', {class: 'card warn'}, '立案和记录处罚需要联网（案件编号须由服务器核对是否重复），请联网后再试。');

export async function showCase(root, user, rest) {
  clear(root, h('p', {class: 'muted pad'}, '正在加载…'));
  if (rest.startsWith('new')) return newCase(root, rest);
  return caseStages(root, Number(rest));
}

async function newCase(root, rest) {
  const params = new URLSearchParams(rest.split('?')[1] || '');
  const unitId = Number(params.get('unit'));
  const inspectionId = params.get('inspection');
  const unit = await fetchJson(`/api/v1/units/${unitId}`);
  if (!unit) {
    clear(root, h('h1', {}, '立案'), navigator.onLine ? h('p', {class: 'card bad'}, '单位不存在或不在您的辖区内。') : offlineNotice(),
      h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
    return;
  }
  const inspection = inspectionId ? await fetchJson(`/api/v1/inspections/${inspectionId}`) : null;
  const form = caseForm(['case_no', 'filed_on', 'summary'], {filed_on: isoDay(new Date())}, unit);
  const submit = h('button', {class: 'btn block', type: 'button', id: 'case-submit'}, '立案');
  submit.addEventListener('click', async () => {
    const values = form.values();
    const problems = caseProblems(values, unit);
    form.show(problems);
    if (Object.keys(problems).length) return;
    const body = {case_no: values.case_no, unit_id: unit.id, filed_on: values.filed_on, summary: values.summary || null,
      inspection_id: inspection ? inspection.id : null};
    submit.disabled = true;
    let answer;
    try {
      answer = await request('/api/v1/cases', {method: 'POST', json: body});
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      form.show({}, '网络不可用，未能立案；请联网后再试。');
      submit.disabled = false;
      return;
    }
    if (!answer.ok) {
      form.show(flattenErrors(answer.data?.errors || {}), messageOf(answer));
      submit.disabled = false;
      return;
    }
    location.hash = `#/case/${answer.data.id}`;
  });
  clear(root,
    h('h1', {'data-no-refresh': ''}, '立案', h('span', {class: 'sub'}, unit.name)),
    h('section', {class: 'card'}, h('dl', {class: 'facts'},
      h('dt', {}, '单位'), h('dd', {}, `${unit.name}（${unit.kind_label}）`),
      h('dt', {}, '许可证'), h('dd', {}, unit.licence_no ? `${unit.licence_no} · ${unit.licence_status_label}` : '无'),
      inspection ? [h('dt', {}, '依据检查'), h('dd', {}, `${dayLabel(inspection.inspected_on)} · ${inspection.result_label} · 问题 ${inspection.problems_found} 个`)] : null)),
    navigator.onLine ? null : offlineNotice(),
    form.node, submit,
    h('a', {class: 'btn secondary block', href: inspection ? `#/inspection/${inspection.id}` : '#/'}, '返回'));
}

async function caseStages(root, caseId) {
  const record = await fetchJson(`/api/v1/cases/${caseId}`);
  if (!record) {
    clear(root, h('h1', {}, '案件'), navigator.onLine ? h('p', {class: 'card bad'}, '案件不存在或不在您的辖区内。') : offlineNotice(),
      h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
    return;
  }
  const unit = await fetchJson(`/api/v1/units/${record.unit.id}`);
  const names = ['filed_on', 'summary', 'decided_on', 'fine_yuan', 'confiscated_yuan', 'licence_revoked_on', 'banned_on',
    'transferred_on', 'criminal_filed_on'];
  const initial = {...record, fine_yuan: Number(record.fine_yuan) ? record.fine_yuan : '',
    confiscated_yuan: Number(record.confiscated_yuan) ? record.confiscated_yuan : ''};
  const form = caseForm(names, initial, unit);
  const saved = h('p', {class: 'muted small', id: 'case-saved', role: 'status'});
  const save = h('button', {class: 'btn block', type: 'button', id: 'case-save'}, '保存');
  save.addEventListener('click', async () => {
    const values = form.values();
    const problems = caseProblems(values, unit);
    form.show(problems);
    saved.textContent = '';
    if (Object.keys(problems).length) return;
    const body = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, value || null]));
    save.disabled = true;
    try {
      const answer = await request(`/api/v1/cases/${caseId}`, {method: 'PATCH', json: body});
      if (!answer.ok) form.show(flattenErrors(answer.data?.errors || {}), messageOf(answer));
      else saved.textContent = `已保存（${new Date().toLocaleTimeString('zh-CN', {hour12: false})}）`;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      form.show({}, '网络不可用，未能保存；请联网后再试。');
    } finally {
      save.disabled = false;
    }
  });
  clear(root,
    h('h1', {'data-no-refresh': ''}, `案件 ${record.case_no}`, h('span', {class: 'sub'}, record.unit.name)),
    h('section', {class: 'card'}, h('dl', {class: 'facts'},
      h('dt', {}, '单位'), h('dd', {}, `${record.unit.name}（${record.unit.kind_label}）`),
      h('dt', {}, '立案日期'), h('dd', {}, dayLabel(record.filed_on)),
      record.inspection_id ? [h('dt', {}, '依据检查'), h('dd', {}, h('a', {href: `#/inspection/${record.inspection_id}`}, '查看检查记录'))] : null)),
    h('h2', {}, '办理进展'),
    h('p', {class: 'muted small'}, '按实际进展填写：处罚决定（罚款、没收违法所得）、吊销许可证、取缔无证经营、移送公安机关、刑事立案。'),
    form.node, save, saved,
    h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
}
