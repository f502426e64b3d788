// The registry's forms (新建/编辑 学校, 单位, 供餐关系) over the registry API: the server checks
// every rule; its errors stand at their field in Chinese, and its warnings too (a licence number or
// USCC whose check digit does not match is saved, with a warning to verify it).
import {clear, h} from './dom.js';
import {ME, Problem, call, choice, failure, field, input, jurisdictionChooser, showMessages, submit} from './admin-common.js';

const root = document.getElementById('app');
const query = new URLSearchParams(location.search);

function page(title, crumbs, form) {
  document.title = `${title} · 校园食品安全守护行动`;
  clear(root, h('p', {class: 'crumbs'}, crumbs), h('div', {class: 'desk-head'}, h('h1', {}, title)), form);
}

// A new record is created once: its form's button then says so (corrections go to its edit form).
function created(form) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  button.textContent = '已创建';
}

// After a save: what was saved, any warnings (already at their fields), and where to go next.
function saved(box, text, href, warnings) {
  clear(box, h('div', {class: `card notice ${warnings.length ? 'warn' : ''}`, role: 'status', id: 'saved'},
    h('p', {class: 'ok'}, text), warnings.length ? h('p', {class: 'warning'}, `有 ${warnings.length} 条提示，已标在相应字段下，请核对。`) : null,
    h('a', {href}, '查看档案 ›')));
}

// A search box that fills a <select> with records of `path` (schools or units).
function recordChooser(id, path, label, initial) {
  const select = h('select', {id}, initial ? h('option', {value: initial.id}, label(initial)) : h('option', {value: ''}, '请先搜索'));
  const search = input({type: 'search', placeholder: '输入名称搜索', 'aria-label': '搜索'});
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = search.value.trim();
      const found = q ? await call(`${path}&per_page=20&q=${encodeURIComponent(q)}`).catch(() => ({items: []})) : {items: []};
      clear(select, found.items.length ? found.items.map((r) => h('option', {value: r.id}, label(r))) : h('option', {value: ''}, q ? '没有匹配的记录' : '请先搜索'));
    }, 250);
  });
  const wrap = h('span', {class: 'chooser'}, select, search);
  wrap.select = select;
  return wrap;
}

const value = (form, name) => form.elements.namedItem(name).value;
const text = (form, name) => value(form, name).trim() || null;
const actions = (label, back) => h('div', {class: 'form-actions'}, h('button', {class: 'btn', type: 'submit'}, label), h('a', {class: 'btn secondary', href: back}, '返回'));

export async function schoolForm(terms, id) {
  let school = null;
  if (id) {
    try {
      school = await call(`/api/v1/schools/${id}`);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      return clear(root, failure(error.message));
    }
  }
  const messages = h('div');
  const done = h('div');
  const jurisdiction = id ? null : jurisdictionChooser('fld-jurisdiction_code', ME.code);
  const form = h('form', {class: 'admin-form panel', id: 'school-form', novalidate: true},
    field('name', '学校名称', input({maxlength: 128, value: school?.name || ''})),
    field('stage', '学段', choice(terms.options('school_stage'), school?.stage || 'primary')),
    id ? field('jurisdiction_code', '所在地', input({value: school.jurisdiction_name, disabled: true}))
      : field('jurisdiction_code', '所在地（本辖区及下级）', jurisdiction),
    field('uscc', '统一社会信用代码', input({maxlength: 18, class: 'mono', value: school?.uscc || ''}), '18 位；校验位不符时仍可保存，但会提示核对。'),
    field('address', '地址', input({maxlength: 256, value: school?.address || ''})),
    messages, actions(id ? '保存' : '创建', id ? `/desk/schools/${id}` : '/desk/schools'), done);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = {name: value(form, 'name').trim(), stage: value(form, 'stage'), uscc: text(form, 'uscc'), address: text(form, 'address')};
    if (!id) data.jurisdiction_code = jurisdiction.select.value;
    const result = await submit(form, messages, id ? `/api/v1/schools/${id}` : '/api/v1/schools', id ? 'PATCH' : 'POST', data);
    if (!result) return;
    if (!id) created(form);
    saved(done, id ? '已保存。' : `已登记学校“${result.name}”。`, `/desk/schools/${result.id}`, result.warnings || []);
  });
  page(id ? `编辑学校：${school.name}` : '新建学校',
    [h('a', {href: '/desk/schools'}, '学校'), ' › ', id ? [h('a', {href: `/desk/schools/${id}`}, school.name), ' › 编辑'] : '新建'], form);
}

export async function unitForm(terms, id) {
  let unit = null;
  if (id) {
    try {
      unit = await call(`/api/v1/units/${id}`);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      return clear(root, failure(error.message));
    }
  }
  const messages = h('div');
  const done = h('div');
  const kind = choice(terms.options('unit_kind'), unit?.kind || query.get('kind') || 'canteen', {disabled: Boolean(id)});
  const jurisdiction = jurisdictionChooser('fld-jurisdiction_code', unit?.jurisdiction_code || ME.code);
  const presetSchool = unit?.school_id ? {id: unit.school_id, name: unit.school_name} : null;
  const school = recordChooser('fld-school_id', '/api/v1/schools?sort=name', (s) => s.name + (s.jurisdiction_name ? ` · ${s.jurisdiction_name}` : ''), presetSchool);
  const schoolField = field('school_id', '所属学校', school);
  const mingchu = h('span', {class: 'checks'}, terms.options('mingchu').map(([code, label]) => h('label', {class: 'check'},
    h('input', {type: 'checkbox', name: 'mingchu', value: code, checked: unit?.mingchu?.includes(code)}), label)));
  const date = (name) => input({type: 'date', value: unit?.[name] || ''});
  const form = h('form', {class: 'admin-form panel wide', id: 'unit-form', novalidate: true},
    h('div', {class: 'form-grid'},
      field('kind', '单位类型', kind, id ? '登记后不能更改。' : null),
      field('name', '单位名称', input({maxlength: 128, value: unit?.name || ''})),
      field('jurisdiction_code', '所在地（本辖区及下级）', jurisdiction),
      schoolField,
      field('operation_mode', '经营方式', choice([['', '—'], ...terms.options('operation_mode')], unit?.operation_mode || '')),
      field('address', '地址', input({maxlength: 256, value: unit?.address || ''})),
      field('uscc', '统一社会信用代码', input({maxlength: 18, class: 'mono', value: unit?.uscc || ''}), '校验位不符时仍可保存，但会提示核对。'),
      field('licence_no', '食品经营许可证编号', input({maxlength: 16, class: 'mono', value: unit?.licence_no || ''}), 'JY 加 14 位数字；校验位不符时提示核对。'),
      field('licence_issued_on', '发证日期', date('licence_issued_on')),
      field('licence_expires_on', '有效期至', date('licence_expires_on')),
      field('haccp', 'HACCP/ISO 22000', choice(terms.options('haccp'), unit?.haccp || 'none')),
      field('haccp_cert_expires_on', '认证有效期至', date('haccp_cert_expires_on')),
      h('div', {class: 'form-field', dataset: {field: 'mingchu'}}, h('span', {class: 'label'}, '明厨亮灶'), mingchu, h('div', {class: 'field-messages'})),
      h('div', {class: 'form-field', dataset: {field: 'wuchang_6t'}}, h('span', {class: 'label'}, '6T/五常'),
        h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'wuchang_6t', checked: unit?.wuchang_6t}), '已实施'), h('div', {class: 'field-messages'}))),
    messages, actions(id ? '保存' : '创建', id ? `/desk/units/${id}` : '/desk/units'), done);
  const sync = () => { schoolField.hidden = kind.value !== 'canteen'; };
  kind.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = {
      name: value(form, 'name').trim(), jurisdiction_code: jurisdiction.select.value,
      school_id: kind.value === 'canteen' && school.select.value ? Number(school.select.value) : null,
      operation_mode: value(form, 'operation_mode') || null, address: text(form, 'address'), uscc: text(form, 'uscc'),
      licence_no: text(form, 'licence_no'), licence_issued_on: value(form, 'licence_issued_on') || null,
      licence_expires_on: value(form, 'licence_expires_on') || null, haccp: value(form, 'haccp'),
      haccp_cert_expires_on: value(form, 'haccp_cert_expires_on') || null,
      mingchu: [...form.querySelectorAll('input[name=mingchu]:checked')].map((box) => box.value),
      wuchang_6t: form.elements.namedItem('wuchang_6t').checked,
    };
    if (!id) data.kind = kind.value;
    const result = await submit(form, messages, id ? `/api/v1/units/${id}` : '/api/v1/units', id ? 'PATCH' : 'POST', data);
    if (!result) return;
    if (!id) created(form);
    saved(done, id ? '已保存。' : `已登记单位“${result.name}”。`, `/desk/units/${result.id}`, result.warnings || []);
  });
  page(id ? `编辑单位：${unit.name}` : '新建单位',
    [h('a', {href: '/desk/units'}, '单位'), ' › ', id ? [h('a', {href: `/desk/units/${id}`}, unit.name), ' › 编辑'] : '新建'], form);
}

export async function linkForm() {
  const messages = h('div');
  const done = h('div');
  const preset = async (path) => (path ? call(path).catch(() => null) : null);
  const [school0, supplier0] = await Promise.all([
    preset(query.get('school_id') && `/api/v1/schools/${Number(query.get('school_id'))}`),
    preset(query.get('supplier_id') && `/api/v1/units/${Number(query.get('supplier_id'))}`)]);
  const school = recordChooser('fld-school_id', '/api/v1/schools?sort=name', (s) => `${s.name} · ${s.jurisdiction_name}`, school0);
  const supplier = recordChooser('fld-supplier_id', '/api/v1/units?kind=supplier&sort=name', (u) => `${u.name}${u.licence_no ? `（${u.licence_no}）` : ''}`, supplier0);
  const form = h('form', {class: 'admin-form panel', id: 'link-form', novalidate: true},
    field('school_id', '学校', school), field('supplier_id', '供餐单位（学生集体用餐配送单位）', supplier),
    field('starts_on', '开始日期', input({type: 'date'})),
    field('ends_on', '结束日期', input({type: 'date'}), '不填为长期供餐。同一学校的供餐期间不能重叠。'),
    messages, actions('创建', '/desk/supply-links'), done);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = {school_id: Number(school.select.value) || null, supplier_id: Number(supplier.select.value) || null,
      starts_on: value(form, 'starts_on') || null, ends_on: value(form, 'ends_on') || null};
    const result = await submit(form, messages, '/api/v1/supply-links', 'POST', data);
    if (!result) return;
    created(form);
    saved(done, `已登记：${result.supplier_name} 为 ${result.school_name} 供餐。`, `/desk/schools/${result.school_id}`, result.warnings || []);
  });
  page('新建供餐关系', [h('a', {href: '/desk/supply-links'}, '供餐关系'), ' › 新建'], form);
}

// 结束供餐关系: the link's last day of supply (PATCH ends_on). The server checks the date against
// the start and the pair's other periods; its message stands at the field. A link already ended
// may have its end moved, or cleared (supplied again without end) when nothing overlaps.
export async function linkEndForm(id) {
  let link;
  try {
    link = await call(`/api/v1/supply-links/${id}`);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    return clear(root, failure(error.message));
  }
  const messages = h('div');
  const done = h('div');
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);  // China's date
  const facts = h('dl', {class: 'facts'}, [
    ['学校', h('a', {href: `/desk/schools/${link.school_id}`}, link.school_name)], ['学校所在地', link.school_jurisdiction_name],
    ['供餐单位', h('a', {href: `/desk/units/${link.supplier_id}`}, link.supplier_name)], ['许可证编号', link.supplier_licence_no || '—'],
    ['开始日期', link.starts_on], ['结束日期', link.ends_on || '长期（未结束）'],
    ['今日', h('span', {class: `chip ${link.current ? 'compliant' : 'neutral'}`}, link.current ? '有效' : '无效')],
  ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const reopen = link.ends_on ? h('button', {class: 'btn secondary', type: 'button', id: 'reopen'}, '取消结束（恢复为长期供餐）') : null;
  const form = h('form', {class: 'admin-form panel', id: 'link-end-form', novalidate: true},
    facts,
    field('ends_on', '最后供餐日期', input({type: 'date', value: link.ends_on || today, min: link.starts_on}),
      '该日之后不再供餐；不能早于开始日期，也不能与这两家之间的其他供餐期间重叠。'),
    messages,
    h('div', {class: 'form-actions'}, h('button', {class: 'btn', type: 'submit'}, link.ends_on ? '修改结束日期' : '结束供餐关系'), reopen,
      h('a', {class: 'btn secondary', href: `/desk/schools/${link.school_id}`}, '返回')),
    done);
  const send = async (endsOn) => {
    const result = await submit(form, messages, `/api/v1/supply-links/${id}`, 'PATCH', {ends_on: endsOn});
    if (!result) return;
    const text = result.ends_on ? `已结束：${result.supplier_name} 为 ${result.school_name} 供餐至 ${result.ends_on}。`
      : `已恢复为长期供餐：${result.supplier_name} 为 ${result.school_name} 供餐。`;
    saved(done, text, `/desk/schools/${result.school_id}`, []);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const endsOn = value(form, 'ends_on');
    if (!endsOn) return showMessages(form, messages, {ends_on: ['请填写最后供餐日期。']});
    send(endsOn);
  });
  reopen?.addEventListener('click', () => send(null));
  page(link.ends_on ? '修改供餐关系的结束日期' : '结束供餐关系',
    [h('a', {href: '/desk/supply-links'}, '供餐关系'), ' › ', h('a', {href: `/desk/schools/${link.school_id}`}, link.school_name), ' › 结束'], form);
}
