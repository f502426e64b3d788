// The desk (bureaus and admins at 1366×768): the lists with filters, sorting, pages and the Excel
// export, and the unit and school pages — all over the JSON API, which scopes every record to the
// user's jurisdiction. Filters live in the address (a list can be bookmarked or sent on).
import {NetworkError, logout, messageOf, needsLogin, request} from './api.js';
import {clear, h, resultChip} from './dom.js';
import {Vocabulary, vocabulary} from './vocabulary.js';

const body = document.body;
const root = document.getElementById('app');
const ME = {code: body.dataset.jurisdiction, name: body.dataset.jurisdictionName};
const FIRST_YEAR = 2020;
let terms = new Vocabulary({});

class Problem extends Error {}

// GET a JSON document of the API; a lost session goes back to the login page.
async function get(path) {
  let answer;
  try {
    answer = await request(path);
  } catch (error) {
    if (error instanceof NetworkError) throw new Problem('无法连接服务器，请检查网络后重试。');
    throw error;
  }
  if (needsLogin(answer)) {
    location.assign('/');
    throw new Problem('请重新登录。');
  }
  if (!answer.ok) throw new Problem(messageOf(answer));
  return answer.data;
}

const day = (iso) => (iso ? iso.slice(0, 10) : '—');
const dash = (value) => (value === null || value === undefined || value === '' ? '—' : value);
const unitLink = (unit) => (unit ? h('a', {href: `/desk/units/${unit.id}`}, unit.name) : '—');
const schoolLink = (id, name) => (id ? h('a', {href: `/desk/schools/${id}`}, name) : '—');
const failure = (message) => h('p', {class: 'error', role: 'alert'}, message);
// Administrators register and correct records: links to their forms (admin.js builds them).
const NEW_FORMS = ['units', 'schools', 'supply-links'];
const adminLink = (href, label, show = true) => (show && body.dataset.role === 'admin' ? h('a', {class: 'btn', href}, label) : null);

function statusChip(order) {
  if (order.overdue) return h('span', {class: 'chip noncompliant'}, `逾期 ${order.days_overdue} 天`);
  const tone = {open: 'basic', reported: 'neutral', closed: 'compliant'}[order.status] || 'neutral';
  return h('span', {class: `chip ${tone}`}, order.status_label);
}

function licenceChip(unit) {
  const tone = {valid: 'compliant', expired: 'noncompliant', revoked: 'noncompliant', not_yet_valid: 'basic'}[unit.licence_status] || 'neutral';
  return h('span', {class: `chip ${tone}`}, unit.licence_status_label);
}

function periodOptions() {
  const year = new Date().getFullYear();
  const options = [['', '全部期间']];
  for (let y = year; y >= FIRST_YEAR; y -= 1) options.push([`${y}-H1`, `${y}年上半年`], [`${y}`, `${y}年全年`]);
  return options;
}

// --- the lists ------------------------------------------------------------------------------

const vocab = (name, all) => () => [['', all], ...terms.options(name)];
const FILTERS = {
  jurisdiction: {label: '行政区划', type: 'jurisdiction'},
  period: {label: '期间', options: periodOptions},
  kind: {label: '单位类型', options: vocab('unit_kind', '全部类型')},
  result: {label: '检查结果', options: vocab('result', '全部结果')},
  handling: {label: '处理方式', options: vocab('handling', '全部处理')},
  licence_status: {label: '许可证', options: vocab('licence_status', '全部状态')},
  stage: {label: '学段', options: vocab('school_stage', '全部学段')},
  state: {
    label: '状态', options: () => [['', '全部状态'], ['open', '待整改'], ['reported', '已报告待复查'], ['overdue', '逾期'], ['closed', '已销号']],
    // One choice, two API parameters: 逾期 is overdue=true, the others a status.
    read: (params) => (params.get('overdue') === 'true' ? 'overdue' : params.get('status') || ''),
    write: (params, value) => {
      params.delete('status');
      params.delete('overdue');
      if (value === 'overdue') params.set('overdue', 'true');
      else if (value) params.set('status', value);
    },
  },
  decided: {label: '处罚决定', options: () => [['', '全部'], ['true', '已作出'], ['false', '尚未作出']]},
  current: {label: '有效', options: () => [['', '全部'], ['true', '今日有效'], ['false', '已结束或未开始']]},
};

const LISTS = {
  inspections: {
    api: '/api/v1/inspections', filters: ['jurisdiction', 'period', 'kind', 'result', 'handling'],
    search: '单位名称、许可证编号、地址',
    sorts: [['-date', '检查时间：新→旧'], ['date', '检查时间：旧→新'], ['-problems', '问题数：多→少']],
    columns: [
      ['检查日期', (i) => day(i.inspected_on), 'nowrap'],
      ['单位', (i) => unitLink(i.unit), 'wide'],
      ['类型', (i) => i.unit.kind_label],
      ['所在地', (i) => i.unit.jurisdiction_name],
      ['结果', (i) => resultChip(i.result, i.result_label)],
      ['问题', (i) => i.problems_found, 'num'],
      ['处理', (i) => i.handling_label],
    ],
    detail: (i) => inspectionDetail(i.id),
  },
  orders: {
    api: '/api/v1/rectification-orders', filters: ['jurisdiction', 'state', 'period', 'kind'],
    search: '通知书编号、单位名称、许可证编号、地址',
    sorts: [['deadline', '整改期限：早→晚'], ['-deadline', '整改期限：晚→早'], ['-issued', '下达日期：新→旧']],
    columns: [
      ['通知书编号', (o) => o.number, 'nowrap'],
      ['单位', (o) => unitLink(o.unit), 'wide'],
      ['类型', (o) => o.unit.kind_label],
      ['所在地', (o) => o.unit.jurisdiction_name],
      ['下达', (o) => day(o.issued_on), 'nowrap'],
      ['期限', (o) => day(o.deadline), 'nowrap'],
      ['状态', statusChip],
      ['整改报告', (o) => o.reports.length, 'num'],
      ['复查', (o) => o.rechecks.length, 'num'],
    ],
    detail: (o) => orderDetail(o),
  },
  cases: {
    api: '/api/v1/cases', filters: ['jurisdiction', 'period', 'kind', 'decided'],
    search: '案件编号、单位名称、许可证编号、地址',
    sorts: [['-filed', '立案日期：新→旧'], ['filed', '立案日期：旧→新'], ['-fine', '罚款：高→低']],
    columns: [
      ['案件编号', (c) => c.case_no, 'nowrap'],
      ['单位', (c) => unitLink(c.unit), 'wide'],
      ['类型', (c) => c.unit.kind_label],
      ['所在地', (c) => c.unit.jurisdiction_name],
      ['立案', (c) => day(c.filed_on), 'nowrap'],
      ['处罚决定', (c) => day(c.decided_on), 'nowrap'],
      ['罚款（元）', (c) => c.fine_yuan, 'num'],
      ['没收（元）', (c) => c.confiscated_yuan, 'num'],
      ['吊销/取缔/移送', (c) => [c.licence_revoked_on && `吊销 ${c.licence_revoked_on}`, c.banned_on && `取缔 ${c.banned_on}`,
        c.transferred_on && `移送 ${c.transferred_on}`].filter(Boolean).join('；') || '—'],
    ],
  },
  units: {
    api: '/api/v1/units', filters: ['jurisdiction', 'kind', 'licence_status'],
    search: '单位名称、许可证编号、学校名称',
    sorts: [['jurisdiction', '行政区划、名称'], ['name', '名称'], ['licence_expires', '许可证到期：早→晚']],
    columns: [
      ['单位', (u) => unitLink(u), 'wide'],
      ['类型', (u) => u.kind_label],
      ['所在地', (u) => u.jurisdiction_name],
      ['所属学校', (u) => (u.school_id ? schoolLink(u.school_id, u.school_name) : '—')],
      ['许可证编号', (u) => dash(u.licence_no), 'mono'],
      ['有效期至', (u) => day(u.licence_expires_on), 'nowrap'],
      ['许可证', licenceChip],
      // The phone's unit list brings these two; shown when the API sends them.
      ['最近检查', (u) => (u.last_inspection ? [day(u.last_inspection.date), ' ', resultChip(u.last_inspection.result, u.last_inspection.result_label)] : '未检查'), 'nowrap', 'last_inspection'],
      ['未销号整改', (u) => u.open_orders, 'num', 'open_orders'],
    ],
  },
  schools: {
    api: '/api/v1/schools', filters: ['jurisdiction', 'stage'],
    search: '学校名称、地址、统一社会信用代码',
    sorts: [['jurisdiction', '行政区划、名称'], ['name', '名称']],
    columns: [
      ['学校', (s) => schoolLink(s.id, s.name), 'wide'],
      ['学段', (s) => s.stage_label],
      ['所在地', (s) => s.jurisdiction_name],
      ['食堂', (s) => joinLinks(s.canteens) || h('span', {class: 'warn-text'}, '无登记食堂')],
      ['今日供餐单位', (s) => joinLinks(s.suppliers) || '—'],
    ],
  },
  'supply-links': {
    api: '/api/v1/supply-links', filters: ['jurisdiction', 'current'],
    search: '学校名称、供餐单位名称或许可证编号',
    sorts: [['id', '登记顺序'], ['-starts', '开始日期：新→旧']],
    columns: [
      ['学校', (l) => schoolLink(l.school_id, l.school_name), 'wide'],
      ['学校所在地', (l) => l.school_jurisdiction_name],
      ['供餐单位', (l) => unitLink({id: l.supplier_id, name: l.supplier_name}), 'wide'],
      ['许可证编号', (l) => dash(l.supplier_licence_no), 'mono'],
      ['开始', (l) => day(l.starts_on), 'nowrap'],
      ['结束', (l) => (l.ends_on ? day(l.ends_on) : '长期'), 'nowrap'],
      ['今日', (l) => h('span', {class: `chip ${l.current ? 'compliant' : 'neutral'}`}, l.current ? '有效' : '无效')],
    ],
  },
};

// Administrators end a supply link (or move its end) on its own screen, from the list and the pages.
const isAdmin = body.dataset.role === 'admin';
const endLink = (l) => h('a', {class: 'small', href: `/desk/supply-links/${l.id}/end`, dataset: {link: l.id}}, l.ends_on ? '修改结束日期' : '结束供餐');
if (isAdmin) LISTS['supply-links'].columns.push(['操作', endLink, 'nowrap']);

function joinLinks(units) {
  if (!units?.length) return null;
  return units.flatMap((u, i) => [i ? '、' : '', unitLink(u)]);
}

// A <select> of `options` ([[value, label], …]).
function select(id, options, value) {
  return h('select', {id}, options.map(([v, label]) => h('option', {value: v, selected: v === value}, label)));
}

function listScreen(name) {
  const list = LISTS[name];
  const params = new URLSearchParams(location.search);
  const controls = [];
  const reload = () => {
    params.delete('cursor');
    params.delete('page');
    show();
  };
  for (const key of list.filters) {
    const filter = FILTERS[key];
    const id = `f-${key}`;
    if (filter.type === 'jurisdiction') {
      controls.push(h('div', {class: 'field'}, h('label', {for: id}, filter.label),
        jurisdictionPicker(id, params.get('jurisdiction'), (code) => {
          if (code) params.set('jurisdiction', code); else params.delete('jurisdiction');
          reload();
        })));
      continue;
    }
    const current = filter.read ? filter.read(params) : params.get(key) || '';
    const input = select(id, filter.options(), current);
    input.addEventListener('change', () => {
      if (filter.write) filter.write(params, input.value);
      else if (input.value) params.set(key, input.value);
      else params.delete(key);
      reload();
    });
    controls.push(h('div', {class: 'field'}, h('label', {for: id}, filter.label), input));
  }
  const search = h('input', {id: 'f-q', type: 'search', value: params.get('q') || '', placeholder: list.search, maxlength: 64});
  const searchForm = h('form', {class: 'field grow', role: 'search'}, h('label', {for: 'f-q'}, '搜索'),
    h('span', {class: 'inline'}, search, h('button', {class: 'btn small', type: 'submit'}, '查询')));
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (search.value.trim()) params.set('q', search.value.trim()); else params.delete('q');
    reload();
  });
  const sort = select('f-sort', list.sorts, params.get('sort') || list.sorts[0][0]);
  sort.addEventListener('change', () => { params.set('sort', sort.value); reload(); });
  const perPage = select('f-per_page', [['20', '20'], ['50', '50'], ['100', '100']], params.get('per_page') || '50');
  perPage.addEventListener('change', () => { params.set('per_page', perPage.value); reload(); });
  const exportButton = h('button', {class: 'btn secondary', type: 'button', id: 'export'}, '导出 Excel');
  const progress = h('span', {class: 'export-progress muted', 'aria-live': 'polite'});
  exportButton.addEventListener('click', () => exportList(list, params, exportButton, progress));

  const results = h('div', {id: 'results', 'aria-live': 'polite'});
  // A list opened from a unit or school page is narrowed to it: say so, and how to widen it.
  const narrowed = ['unit_id', 'school_id'].filter((key) => params.get(key)).map((key) => {
    const chip = h('span', {class: 'narrowed'}, key === 'unit_id' ? `仅单位 #${params.get(key)}` : `仅学校 #${params.get(key)}的食堂`, ' ',
      h('button', {class: 'link small', type: 'button', onclick: () => { params.delete(key); chip.remove(); reload(); }}, '清除'));
    return chip;
  });
  clear(root,
    h('div', {class: 'desk-head'}, h('h1', {}, document.title.split(' · ')[0]),
      h('span', {class: 'desk-actions'}, progress, exportButton, adminLink(`/desk/${name}/new`, '新建', NEW_FORMS.includes(name)))),
    narrowed.length ? h('p', {}, narrowed) : null,
    h('div', {class: 'filters'}, controls, searchForm,
      h('div', {class: 'field'}, h('label', {for: 'f-sort'}, '排序'), sort),
      h('div', {class: 'field'}, h('label', {for: 'f-per_page'}, '每页'), perPage)),
    results);

  async function show() {
    history.replaceState(null, '', `${location.pathname}${params.toString() ? `?${params}` : ''}`);
    results.classList.add('loading');
    let data;
    try {
      data = await get(`${list.api}?${params}`);
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      results.classList.remove('loading');
      return clear(results, failure(error.message));
    }
    results.classList.remove('loading');
    const columns = list.columns.filter(([, , , field]) => !field || data.items.some((item) => field in item));
    const rows = data.items.flatMap((item) => {
      const cells = columns.map(([, cell, cls]) => h('td', {class: cls}, cell(item)));
      if (!list.detail) return [h('tr', {}, cells)];
      const slot = h('tr', {class: 'detail', hidden: true}, h('td', {colspan: columns.length + 1}));
      const toggle = h('button', {class: 'link small', type: 'button', 'aria-expanded': 'false'}, '详情');
      toggle.addEventListener('click', async () => {
        const open = slot.hidden;
        slot.hidden = !open;
        toggle.setAttribute('aria-expanded', String(open));
        toggle.textContent = open ? '收起' : '详情';
        if (open && !slot.dataset.loaded) {
          slot.dataset.loaded = '1';
          clear(slot.firstChild, await list.detail(item));
        }
      });
      return [h('tr', {}, cells, h('td', {class: 'nowrap'}, toggle)), slot];
    });
    const perPageNow = data.per_page;
    const hasNext = Boolean(data.next_cursor) || data.page * perPageNow < data.total;
    const go = (cursor, page) => {
      params.delete('cursor');
      params.delete('page');
      if (cursor) params.set('cursor', cursor);
      else if (page > 1) params.set('page', page);
      show();
      root.focus();
    };
    const first = (data.page - 1) * perPageNow + 1;
    const summary = data.total
      ? `第 ${first}–${first + data.items.length - 1} 条，共 ${data.total}${data.total_is_estimate ? '+' : ''} 条（第 ${data.page} 页）`
      : '没有符合条件的记录。';
    clear(results,
      h('table', {class: 'grid', id: 'list'},
        h('thead', {}, h('tr', {}, columns.map(([label, , cls]) => h('th', {scope: 'col', class: cls}, label)), list.detail ? h('th', {}, '') : null)),
        h('tbody', {}, rows)),
      h('div', {class: 'pager'},
        h('span', {class: 'muted', id: 'summary'}, summary),
        h('button', {class: 'btn secondary small', type: 'button', disabled: data.page <= 1, onclick: () => go(null, 1)}, '首页'),
        h('button', {class: 'btn secondary small', type: 'button', disabled: data.page <= 1,
          onclick: () => go(data.prev_cursor, data.page - 1)}, '上一页'),
        h('button', {class: 'btn secondary small', type: 'button', id: 'next', disabled: !hasNext,
          onclick: () => go(data.next_cursor, data.page + 1)}, '下一页')));
  }
  show();
}

// --- the export: streamed, with the row count and the bytes received as it comes ----------------

function downloadName(disposition, fallback) {
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  return match ? decodeURIComponent(match[1]) : fallback;
}

async function exportList(list, params, button, progress) {
  const query = new URLSearchParams(params);
  for (const key of ['cursor', 'page', 'per_page']) query.delete(key);
  button.disabled = true;
  const started = Date.now();
  progress.textContent = '正在准备导出…';
  let ticker = null;
  try {
    const response = await fetch(`${list.api}/export.xlsx?${query}`, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
    if (!response.ok) {
      let message = `导出失败（${response.status}）。`;
      try {
        const data = await response.json();
        message = [data.message, ...Object.values(data.errors || {}).flat()].filter(Boolean).join(' ');
      } catch { /* not JSON */ }
      progress.textContent = message;
      return;
    }
    const rows = Number(response.headers.get('X-Export-Rows') || 0);
    let received = 0;
    const tell = () => {
      const seconds = Math.round((Date.now() - started) / 1000);
      progress.textContent = received
        ? `共 ${rows} 行，已接收 ${(received / 1024).toFixed(0)} KB…`
        : `共 ${rows} 行，正在生成 Excel…（${seconds} 秒）`;
    };
    tell();
    ticker = setInterval(tell, 1000);
    const reader = response.body.getReader();
    const parts = [];
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      parts.push(value);
      received += value.length;
    }
    clearInterval(ticker);
    const blob = new Blob(parts, {type: response.headers.get('Content-Type')});
    const url = URL.createObjectURL(blob);
    const link = h('a', {href: url, download: downloadName(response.headers.get('Content-Disposition'), 'export.xlsx'), hidden: true});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    progress.textContent = `已导出 ${rows} 行。`;
  } catch {
    progress.textContent = '导出中断，请检查网络后重试。';
  } finally {
    if (ticker) clearInterval(ticker);
    button.disabled = false;
  }
}

// --- the jurisdiction picker: the user's subtree, browsed or searched ------------------------

function jurisdictionPicker(id, value, onChange) {
  const button = h('button', {class: 'picker-button', type: 'button', id, 'aria-haspopup': 'listbox', 'aria-expanded': 'false'},
    value ? value : `全部（${ME.name}）`);
  const search = h('input', {type: 'search', placeholder: '输入名称或代码搜索', 'aria-label': '搜索行政区划', class: 'picker-search'});
  const options = h('ul', {class: 'picker-options', role: 'listbox'});
  const panel = h('div', {class: 'picker-panel', hidden: true}, search, options);
  const wrap = h('div', {class: 'picker'}, button, panel);
  const close = () => { panel.hidden = true; button.setAttribute('aria-expanded', 'false'); };
  const choose = (code, label) => {
    button.textContent = label;
    close();
    onChange(code);
  };
  const option = (j, browse = true) => h('li', {},
    h('button', {type: 'button', class: 'picker-option', role: 'option', dataset: {code: j.code},
      onclick: () => choose(j.code, j.name)},
    j.name, h('span', {class: 'muted small'}, ` ${j.parent_name && j.code !== ME.code ? `${j.parent_name} · ` : ''}${j.code}`)),
    browse && j.level < 3 ? h('button', {type: 'button', class: 'link small', title: '查看下级', onclick: () => browseFrom(j)}, '下级 ›') : null);
  // Answers may arrive out of order (the list asked for on opening after the search typed next):
  // only the latest request paints the options.
  let latest = 0;
  async function browseFrom(j) {
    const mine = ++latest;
    try {
      const children = await get(`/api/v1/jurisdictions?parent=${j.code}`);
      if (mine !== latest) return;
      clear(options,
        h('li', {}, h('button', {type: 'button', class: 'picker-option', onclick: () => choose(j.code === ME.code ? '' : j.code, j.code === ME.code ? `全部（${ME.name}）` : j.name)},
          h('strong', {}, `${j.name}（含下级）`))),
        j.code !== ME.code ? h('li', {}, h('button', {type: 'button', class: 'link small', onclick: () => browseFrom({...ME, level: 0})}, '‹ 回到本辖区')) : null,
        children.map((child) => option(child)));
    } catch (error) {
      if (mine === latest) clear(options, failure(error.message));
    }
  }
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = search.value.trim();
      if (!q) return browseFrom({...ME, level: 0});
      const mine = ++latest;
      try {
        const found = await get(`/api/v1/jurisdictions?q=${encodeURIComponent(q)}`);
        if (mine !== latest) return;
        clear(options, found.length ? found.map((j) => option(j, false)) : h('li', {class: 'muted pad-s'}, '没有匹配的行政区划。'));
      } catch (error) {
        if (mine === latest) clear(options, failure(error.message));
      }
    }, 200);
  });
  button.addEventListener('click', () => {
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) {
      search.value = '';
      browseFrom({...ME, level: 0});
      search.focus();
    }
  });
  document.addEventListener('click', (event) => { if (!wrap.contains(event.target)) close(); });
  wrap.addEventListener('keydown', (event) => { if (event.key === 'Escape') { close(); button.focus(); } });
  if (value) {  // the name of a code that came with the address
    get(`/api/v1/jurisdictions?q=${encodeURIComponent(value)}`).then((found) => {
      const match = found.find((j) => j.code === value);
      if (match) button.textContent = match.name;
    }).catch(() => {});
  }
  return wrap;
}

// --- details: an inspection's failed items and photos, an order's reports --------------------

async function inspectionDetail(uuid) {
  let inspection;
  try {
    inspection = await get(`/api/v1/inspections/${uuid}`);
  } catch (error) {
    return failure(error.message);
  }
  const photos = inspection.photos?.arrived || [];
  return h('div', {class: 'detail-body'},
    h('p', {class: 'small'}, `检查人员：${inspection.inspectors.map((p) => p.name).join('、')}；检查项目 ${inspection.items_checked} 项，`,
      `重点项目不合格 ${inspection.key_items_failed} 项；一般项目合格率 ${inspection.general_pass_rate ?? '—'}%`,
      inspection.revision > 1 ? `；已更正（第 ${inspection.revision} 版）` : ''),
    inspection.findings.length
      ? h('table', {class: 'grid inner'},
        h('thead', {}, h('tr', {}, ['项目', '问题类别', '问题描述', '复查'].map((t) => h('th', {}, t)))),
        h('tbody', {}, inspection.findings.map((f) => h('tr', {},
          h('td', {class: 'nowrap'}, f.item || '补充', f.is_key ? [' ', h('span', {class: 'chip key'}, '重点')] : null),
          h('td', {}, f.category_label), h('td', {}, f.description),
          h('td', {class: 'nowrap'}, f.rectified === null ? '未复查' : (f.rectified ? '已整改' : '未整改'))))))
      : h('p', {class: 'small muted'}, '未发现问题。'),
    photos.length ? h('div', {class: 'thumbs'}, photos.map((id) => h('a', {href: `/api/v1/photos/${id}/image`, target: '_blank', rel: 'noopener'},
      h('img', {src: `/api/v1/photos/${id}/thumbnail`, alt: '现场照片', loading: 'lazy', width: 96, height: 96})))) : null,
    inspection.photos?.missing?.length ? h('p', {class: 'small muted'}, `另有 ${inspection.photos.missing.length} 张照片尚未上传。`) : null,
    inspection.remarks ? h('p', {class: 'small'}, `备注：${inspection.remarks}`) : null);
}

function orderDetail(order) {
  return h('div', {class: 'detail-body'},
    order.findings.length ? h('ul', {class: 'small'}, order.findings.map((f) => h('li', {},
      `${f.category_label}：${f.description}`, f.rectified === null ? '' : (f.rectified ? '（已整改）' : '（未整改）')))) : null,
    h('h3', {}, '学校整改报告'),
    order.reports.length ? order.reports.map((r) => h('div', {class: 'report'},
      h('p', {class: 'small muted'}, `提交于 ${r.submitted_at.slice(0, 16).replace('T', ' ')}`), h('p', {}, r.text),
      r.photo_ids.length ? h('div', {class: 'thumbs'}, r.photo_ids.map((id) => h('a', {href: `/api/v1/photos/${id}/image`, target: '_blank', rel: 'noopener'},
        h('img', {src: `/api/v1/photos/${id}/thumbnail`, alt: '整改照片', loading: 'lazy', width: 96, height: 96})))) : null))
      : h('p', {class: 'small muted'}, '尚未提交。'),
    h('h3', {}, '复查'),
    order.rechecks.length ? h('ul', {class: 'small'}, order.rechecks.map((c) => h('li', {},
      `${c.checked_on}：${c.all_rectified ? '全部整改到位' : '仍有问题未整改'}${c.note ? `（${c.note}）` : ''}`)))
      : h('p', {class: 'small muted'}, '尚未复查。'));
}

// --- the unit and school pages: the whole history -----------------------------------------------

const HISTORY = 200;

function facts(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter(([, value]) => value !== undefined).flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value ?? '—')]));
}

async function section(title, path, render, more) {
  const box = h('section', {class: 'panel'}, h('h2', {}, title), h('p', {class: 'muted small'}, '正在加载…'));
  get(path).then((data) => {
    const items = Array.isArray(data) ? data : data.items;
    const total = Array.isArray(data) ? items.length : data.total;
    clear(box, h('h2', {}, `${title}（${total}${data.total_is_estimate ? '+' : ''}）`),
      items.length ? render(items) : h('p', {class: 'muted small'}, '无。'),
      total > items.length && more ? h('p', {}, h('a', {href: more}, `全部 ${total} 条 ›`)) : null);
  }).catch((error) => clear(box, h('h2', {}, title), failure(error.message)));
  return box;
}

function table(headers, rows) {
  return h('table', {class: 'grid'}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', {scope: 'col'}, t)))), h('tbody', {}, rows));
}

function inspectionsTable(items) {
  return table(['检查日期', '单位', '结果', '问题', '处理', ''], items.flatMap((i) => {
    const slot = h('tr', {class: 'detail', hidden: true}, h('td', {colspan: 6}));
    const toggle = h('button', {class: 'link small', type: 'button'}, '问题与照片');
    toggle.addEventListener('click', async () => {
      slot.hidden = !slot.hidden;
      if (!slot.dataset.loaded) {
        slot.dataset.loaded = '1';
        clear(slot.firstChild, await inspectionDetail(i.id));
      }
    });
    return [h('tr', {}, h('td', {class: 'nowrap'}, day(i.inspected_on)), h('td', {}, unitLink(i.unit)),
      h('td', {}, resultChip(i.result, i.result_label)), h('td', {class: 'num'}, i.problems_found),
      h('td', {}, i.handling_label), h('td', {class: 'nowrap'}, toggle)), slot];
  }));
}

function ordersTable(items) {
  return table(['通知书编号', '单位', '下达', '期限', '状态', '整改报告与复查'], items.map((o) => h('tr', {},
    h('td', {class: 'nowrap'}, o.number), h('td', {}, unitLink(o.unit)), h('td', {class: 'nowrap'}, day(o.issued_on)),
    h('td', {class: 'nowrap'}, day(o.deadline)), h('td', {}, statusChip(o)), h('td', {}, orderDetail(o)))));
}

function casesTable(items) {
  return table(['案件编号', '单位', '立案', '处罚决定', '罚款（元）', '没收（元）', '摘要'], items.map((c) => h('tr', {},
    h('td', {class: 'nowrap'}, c.case_no), h('td', {}, unitLink(c.unit)), h('td', {class: 'nowrap'}, day(c.filed_on)),
    h('td', {class: 'nowrap'}, day(c.decided_on)), h('td', {class: 'num'}, c.fine_yuan), h('td', {class: 'num'}, c.confiscated_yuan),
    h('td', {}, dash(c.summary)))));
}

function linksTable(items, side) {
  return table([side === 'school' ? '供餐单位' : '学校', '开始', '结束', '今日', ...(isAdmin ? [''] : [])], items.map((l) => h('tr', {},
    h('td', {}, side === 'school' ? unitLink({id: l.supplier_id, name: l.supplier_name}) : schoolLink(l.school_id, l.school_name)),
    h('td', {class: 'nowrap'}, day(l.starts_on)), h('td', {class: 'nowrap'}, l.ends_on ? day(l.ends_on) : '长期'),
    h('td', {}, h('span', {class: `chip ${l.current ? 'compliant' : 'neutral'}`}, l.current ? '有效' : '无效')),
    isAdmin ? h('td', {class: 'nowrap'}, endLink(l)) : null)));
}

async function unitPage(id) {
  let unit;
  try {
    unit = await get(`/api/v1/units/${id}`);
  } catch (error) {
    return clear(root, failure(error.message));
  }
  document.title = `${unit.name} · 单位档案`;
  const mingchu = unit.mingchu.map((m) => terms.label('mingchu', m)).join('、') || '无';
  const links = unit.kind === 'supplier' ? section('供餐关系', `/api/v1/supply-links?supplier_id=${id}&per_page=${HISTORY}`, (items) => linksTable(items, 'supplier'))
    : unit.school_id ? section('本校供餐关系', `/api/v1/supply-links?school_id=${unit.school_id}&per_page=${HISTORY}`, (items) => linksTable(items, 'school')) : null;
  clear(root,
    h('p', {class: 'crumbs'}, h('a', {href: '/desk/units'}, '单位'), ' › ', unit.name),
    h('div', {class: 'desk-head'}, h('h1', {}, unit.name), licenceChip(unit), adminLink(`/desk/units/${id}/edit`, '编辑')),
    h('div', {class: 'columns'},
      h('section', {class: 'panel'}, h('h2', {}, '登记信息'), facts([
        ['单位类型', unit.kind_label], ['所在地', unit.jurisdiction_name],
        ['所属学校', unit.school_id ? schoolLink(unit.school_id, unit.school_name) : undefined],
        ['经营方式', unit.operation_mode ? terms.label('operation_mode', unit.operation_mode) : undefined],
        ['地址', dash(unit.address)], ['统一社会信用代码', dash(unit.uscc)]])),
      h('section', {class: 'panel'}, h('h2', {}, '许可与状况'), facts([
        ['许可证编号', dash(unit.licence_no)], ['发证日期', day(unit.licence_issued_on)], ['有效期至', day(unit.licence_expires_on)],
        ['许可证状态', licenceChip(unit)], ['吊销日期', unit.licence_revoked_on ? day(unit.licence_revoked_on) : undefined],
        ['HACCP/ISO 22000', terms.label('haccp', unit.haccp)], ['明厨亮灶', mingchu], ['6T/五常', unit.wuchang_6t ? '已实施' : '未实施'],
        ['最近检查', 'last_inspection' in unit ? (unit.last_inspection ? `${day(unit.last_inspection.date)} ${unit.last_inspection.result_label}` : '未检查') : undefined],
        ['未销号整改通知', 'open_orders' in unit ? unit.open_orders : undefined]]))),
    await links,
    await section('检查记录', `/api/v1/inspections?unit_id=${id}&per_page=${HISTORY}`, inspectionsTable, `/desk/inspections?unit_id=${id}`),
    await section('整改通知', `/api/v1/rectification-orders?unit_id=${id}&sort=-issued&per_page=${HISTORY}`, ordersTable, `/desk/orders?unit_id=${id}`),
    await section('立案查处', `/api/v1/cases?unit_id=${id}&per_page=${HISTORY}`, casesTable, `/desk/cases?unit_id=${id}`));
}

async function schoolPage(id) {
  let school;
  try {
    school = await get(`/api/v1/schools/${id}`);
  } catch (error) {
    return clear(root, failure(error.message));
  }
  document.title = `${school.name} · 学校档案`;
  const canteens = (items) => table(['食堂', '许可证编号', '有效期至', '许可证'], items.map((u) => h('tr', {},
    h('td', {}, unitLink(u)), h('td', {class: 'mono'}, dash(u.licence_no)), h('td', {class: 'nowrap'}, day(u.licence_expires_on)), h('td', {}, licenceChip(u)))));
  clear(root,
    h('p', {class: 'crumbs'}, h('a', {href: '/desk/schools'}, '学校'), ' › ', school.name),
    h('div', {class: 'desk-head'}, h('h1', {}, school.name), h('span', {class: 'chip neutral'}, school.stage_label),
      adminLink(`/desk/schools/${id}/edit`, '编辑'), adminLink(`/desk/supply-links/new?school_id=${id}`, '新建供餐关系')),
    h('div', {class: 'columns'},
      h('section', {class: 'panel'}, h('h2', {}, '登记信息'), facts([
        ['学段', school.stage_label], ['所在地', school.jurisdiction_name], ['地址', dash(school.address)],
        ['统一社会信用代码', dash(school.uscc)]])),
      await section('食堂', `/api/v1/units?school_id=${id}&kind=canteen&per_page=${HISTORY}`, canteens)),
    await section('供餐关系', `/api/v1/supply-links?school_id=${id}&per_page=${HISTORY}`, (items) => linksTable(items, 'school')),
    await section('食堂检查记录', `/api/v1/inspections?school_id=${id}&per_page=${HISTORY}`, inspectionsTable, `/desk/inspections?school_id=${id}`),
    await section('整改通知', `/api/v1/rectification-orders?school_id=${id}&sort=-issued&per_page=${HISTORY}`, ordersTable, `/desk/orders?school_id=${id}`),
    await section('立案查处', `/api/v1/cases?school_id=${id}&per_page=${HISTORY}`, casesTable, `/desk/cases?school_id=${id}`));
}

// --- start --------------------------------------------------------------------------------------

for (const button of document.querySelectorAll('[data-action=logout]')) button.addEventListener('click', logout);

async function start() {
  try {
    terms = await vocabulary();
  } catch (error) {
    if (!(error instanceof NetworkError) && !error.answer) throw error;
  }
  const screen = body.dataset.screen;
  if (screen === 'unit') return unitPage(body.dataset.id);
  if (screen === 'school') return schoolPage(body.dataset.id);
  if (LISTS[screen]) return listScreen(screen);
  return null;
}

start();
