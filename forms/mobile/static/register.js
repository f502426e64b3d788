// #/register: a unit found on site that is not in the registry — above all an unlicensed operator
// (无证经营) — registered with name, address and jurisdiction, and inspected at once, offline if
// need be. The registration carries a UUID made here (client_id): the outbox sends it first, and
// the inspection of it goes with the unit id the server gave, exactly once however often it retries.
import {clear, errorList, h, uuid4} from '/static/web/dom.js';
import {cachedVocabulary, definitionFor, formKeyFor} from './catalog.js';
import {newDraft, saveDraft} from './draft.js';
import {enqueueWrite, flush} from './outbox.js';
import {all, getMeta} from './store.js';

const KINDS = ['unlicensed', 'periphery'];

// The jurisdictions the inspector works in: its own and those of the units it holds offline.
async function jurisdictions(user) {
  const seen = new Map([[user.jurisdiction_code, user.jurisdiction_name || user.jurisdiction_code]]);
  for (const unit of await all('units')) {
    if (unit.owner === user.id && !seen.has(unit.jurisdiction_code)) seen.set(unit.jurisdiction_code, unit.jurisdiction_name);
  }
  return [...seen].sort(([a], [b]) => a.localeCompare(b));
}

export async function showRegister(root, user) {
  const vocabulary = await cachedVocabulary();
  const places = await jurisdictions(user);
  const errors = {};
  const slot = (name) => (errors[name] = h('div', {class: 'field-errors', dataset: {errorsFor: name}}));
  const kind = h('select', {id: 'unit-kind'}, KINDS.map((code) =>
    h('option', {value: code}, vocabulary ? vocabulary.label('unit_kind', code) : code)));
  const name = h('input', {id: 'unit-name', type: 'text', autocomplete: 'off', placeholder: '如：校门口流动烧烤摊'});
  const address = h('input', {id: 'unit-address', type: 'text', autocomplete: 'off', placeholder: '街道、门牌或位置描述'});
  const place = h('select', {id: 'unit-jurisdiction'},
    places.map(([code, label]) => h('option', {value: code, selected: code === user.jurisdiction_code ? true : null}, label)));
  const field = (id, label, input, key) => {
    input.addEventListener('input', () => errors[key]?.replaceChildren()); // an error goes once it is seen to
    return h('div', {class: 'field'}, h('label', {for: id}, label), input, slot(key));
  };
  const start = h('button', {class: 'btn block', type: 'button', id: 'register-start'}, '登记并开始检查');
  start.addEventListener('click', async () => {
    const values = {kind: kind.value, name: name.value.trim(), address: address.value.trim(), jurisdiction_code: place.value};
    const problems = {name: values.name ? [] : ['请填写名称。'], address: values.address ? [] : ['请填写地址。']};
    for (const [key, messages] of Object.entries(problems)) errors[key].replaceChildren(...errorList(messages));
    if (Object.values(problems).some((m) => m.length)) return;
    const formKey = await formKeyFor({kind: values.kind, licence_no: null});
    if (!formKey || !(await definitionFor(...formKey.split('@'))) || !vocabulary) {
      errors.kind.replaceChildren(...errorList(['该单位类型的检查表尚未下载，请联网后打开本应用。']));
      return;
    }
    start.disabled = true;
    const clientId = uuid4();
    await enqueueWrite(user, {id: `unit-${clientId}`, kind: 'unit', unit_name: `登记：${values.name}`,
      doc: {client_id: clientId, ...values}});
    const unit = {id: null, client_id: clientId, name: values.name, kind: values.kind,
      kind_label: vocabulary.label('unit_kind', values.kind), jurisdiction_name: place.selectedOptions[0].textContent,
      licence_no: null, haccp: 'none', mingchu: [], wuchang_6t: false};
    const draft = newDraft(user, unit, formKey, await getMeta('companion', null));
    await saveDraft(draft);
    flush({force: true}); // online: the unit reaches the server while the inspection is filled in
    location.hash = `#/draft/${draft.id}/info`;
  });
  clear(root,
    h('h1', {'data-no-refresh': ''}, '现场登记新单位'),
    h('p', {class: 'muted small'}, '在现场发现、尚未登记的经营者（如无证经营）：登记后立即检查。离线也可以登记，联网后与检查一起自动发送。'),
    field('unit-kind', '单位类型', kind, 'kind'),
    field('unit-name', '名称（必填）', name, 'name'),
    field('unit-address', '地址（必填）', address, 'address'),
    field('unit-jurisdiction', '所在行政区划', place, 'jurisdiction_code'),
    start,
    h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
}
