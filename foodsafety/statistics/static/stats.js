// The statistics page: pick a jurisdiction and a period (what the server offers), see the live
// table in the official layout, its checks and coverage, the trend chart, and the snapshots
// (build one, download its workbook). Everything comes from the JSON API; the choice is kept in
// the address (?jurisdiction=…&period=…) so that a link or a reload shows the same table.
import {NetworkError, logout, messageOf, needsLogin, request} from '/static/web/api.js';
import {clear, dayLabel, h} from '/static/web/dom.js';

const root = document.getElementById('app');
const API = '/api/v1/statistics';
let current = null; // the table on screen

async function getJson(path) {
  const answer = await request(path);
  if (needsLogin(answer)) {
    location.assign('/');
    throw new Error('login required');
  }
  return answer;
}

function failure(error) {
  const text = error instanceof NetworkError ? '无法连接服务器，请检查网络后刷新。' : '加载失败，请刷新重试。';
  clear(root, h('p', {class: 'card bad', role: 'alert'}, text));
}

function selection(options) {
  const query = new URLSearchParams(location.search);
  return {
    jurisdiction: query.get('jurisdiction') || options.jurisdictions[0]?.code,
    period: query.get('period') || options.default_period,
  };
}

function picker(options, chosen) {
  const choose = () => {
    const query = new URLSearchParams({jurisdiction: jurisdiction.value, period: period.value});
    history.pushState(null, '', `?${query}`);
    show(options).catch(failure);
  };
  const jurisdiction = h('select', {id: 'jurisdiction', name: 'jurisdiction', onchange: choose},
    options.jurisdictions.map((j) => h('option', {value: j.code, selected: j.code === chosen.jurisdiction},
      `${'　'.repeat(j.depth)}${j.name}（${j.code}）`)));
  const period = h('select', {id: 'period', name: 'period', onchange: choose},
    options.periods.map((p) => h('option', {value: p.key, selected: p.key === chosen.period}, p.label)));
  return h('form', {class: 'stats-pick', onsubmit: (event) => { event.preventDefault(); choose(); }},
    h('div', {}, h('label', {for: 'jurisdiction'}, '行政区划'), jurisdiction),
    h('div', {}, h('label', {for: 'period'}, '统计期间'), period));
}

// The official layout: the section and sub-group cells span the rows the server says they span.
function officialTable(table) {
  return h('table', {class: 'stats-table'},
    h('thead', {}, h('tr', {}, h('th', {colspan: 3, scope: 'col'}, '项目'), h('th', {scope: 'col'}, '数量'))),
    h('tbody', {}, table.rows.map((row) => h('tr', {dataset: {code: row.code}},
      row.section_span ? h('th', {scope: 'rowgroup', rowspan: row.section_span, class: 'section'}, row.section_label) : null,
      row.group && row.group_span ? h('th', {scope: 'rowgroup', rowspan: row.group_span, class: 'group'}, row.group) : null,
      h('th', {scope: 'row', colspan: row.group ? null : 2, class: row.part_of ? 'part' : null}, row.label),
      h('td', {class: 'num'}, cellLink(table.jurisdiction, row, row.value))))));
}

// A figure that opens the records behind it (the drill-down panel below the table).
function cellLink(jurisdiction, row, value) {
  return h('a', {href: '#drill', class: 'cell', dataset: {drill: `${jurisdiction.code}:${row.code}`},
    title: `查看${jurisdiction.name}「${row.code} ${row.label}」的明细记录`,
    onclick: (event) => { event.preventDefault(); openDrill(jurisdiction, row.code); }}, String(value));
}

function checks(table) {
  return [
    h('h2', {}, '校验结果'),
    table.validation.length
      ? h('ul', {class: 'issues'}, table.validation.map((issue) => h('li', {class: issue.severity},
        h('strong', {}, `[${issue.severity_label}]`), ` ${issue.message}（${issue.left} > ${issue.right}）`)))
      : h('p', {}, '全部校验规则通过。'),
    h('p', {class: 'small muted'}, table.context.map((c) => `${c.label}：${c.value}`).join('；')),
    h('h2', {}, '检查覆盖情况'),
    h('table', {class: 'coverage'},
      h('thead', {}, h('tr', {}, ['单位类型', '单位数', '期内已检查', '未检查'].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, table.coverage.map((c) => h('tr', {},
        h('th', {scope: 'row'}, c.kind_label), h('td', {class: 'num'}, c.units),
        h('td', {class: 'num'}, c.inspected), h('td', {class: 'num'}, c.uninspected))))),
  ];
}

function snapshotItem(snapshot) {
  const when = (snapshot.built_at || '').slice(0, 16).replace('T', ' ');
  return h('li', {},
    `第 ${snapshot.version} 版 · ${snapshot.kind_label} · 截止 ${snapshot.cutoff} · 生成于 ${when}`,
    snapshot.valid ? null : '（未通过校验）', ' ',
    h('a', {href: `${API}/snapshots/${snapshot.id}/workbook.xlsx`}, '下载 Excel'));
}

function snapshotsPanel(options, table) {
  const list = h('div', {id: 'snapshots'}, h('p', {class: 'muted'}, '正在加载快照列表…'));
  const message = h('p', {id: 'stats-message', role: 'status', class: 'small'});
  const say = (text, bad = false) => {
    message.textContent = text;
    message.classList.toggle('bad', bad);
  };
  const code = table.jurisdiction.code;
  const period = table.period.key;

  async function load() {
    const query = new URLSearchParams({jurisdiction: code, period, per_page: '20'});
    let answer;
    try {
      answer = await getJson(`${API}/snapshots?${query}`);
    } catch {
      clear(list, h('p', {class: 'bad'}, '网络不可用，无法加载快照列表。'));
      return;
    }
    if (!answer.ok) clear(list, h('p', {class: 'bad'}, messageOf(answer)));
    else if (!answer.data.items.length) clear(list, h('p', {class: 'muted'}, '该期间尚未生成快照。生成快照后可下载 Excel 统计表。'));
    else clear(list, h('ul', {class: 'snapshots'}, answer.data.items.map(snapshotItem)));
  }

  async function build(kind, button) {
    button.disabled = true;
    say('正在生成快照…');
    try {
      const answer = await request(`${API}/${code}/${period}/snapshots`,
        {method: 'POST', json: {kind, cutoff: table.cutoff}});
      if (answer.ok) {
        say(`已生成第 ${answer.data.version} 版${answer.data.kind_label}。`);
        await load();
      } else {
        say([messageOf(answer), ...(answer.data?.errors?.validation || [])].join(' '), true);
      }
    } catch {
      say('网络不可用，请稍后重试。', true);
    } finally {
      button.disabled = false;
    }
  }

  load();
  const buttons = options.can_build_snapshots ? h('p', {class: 'actions'},
    h('button', {class: 'btn secondary', type: 'button', dataset: {build: 'draft'},
      onclick: (event) => build('draft', event.currentTarget)}, '生成草稿快照'),
    h('button', {class: 'btn', type: 'button', dataset: {build: 'final'},
      onclick: (event) => build('final', event.currentTarget)}, '生成定稿')) : null;
  const live = new URLSearchParams({cutoff: table.cutoff});
  return [
    h('h2', {}, '快照与导出'),
    h('p', {}, h('a', {href: `${API}/${code}/${period}/workbook.xlsx?${live}`, id: 'live-workbook'},
      '下载实时 Excel（非定稿）'),
    h('span', {class: 'small muted'}, ' 按当前数据生成，标注数据提取时间，不作正式报送。')),
    list, buttons, message];
}

async function show(options) {
  const chosen = selection(options);
  const answer = await getJson(`${API}/${chosen.jurisdiction}/${chosen.period}`);
  if (!answer.ok) {
    clear(root, picker(options, chosen), h('p', {class: 'card bad', role: 'alert'}, messageOf(answer)));
    return;
  }
  const table = answer.data;
  current = table;
  const chart = new URLSearchParams({jurisdiction: table.jurisdiction.code, period: table.period.key});
  clear(root,
    picker(options, chosen),
    h('h1', {}, `${table.jurisdiction.name} ${table.period.label}${table.title}`),
    h('p', {class: 'muted small'}, `统计期间 ${dayLabel(table.period.start)}至${dayLabel(table.cutoff)}（截止日期）；`
      + `基本情况为截止日期当天的状态，其余为期间内发生数。定义版本 ${table.definition_version}。`),
    h('div', {class: 'stats-layout'},
      h('section', {}, officialTable(table), table.notes.map((note) => h('p', {class: 'small muted'}, note))),
      h('section', {}, checks(table), snapshotsPanel(options, table))),
    h('section', {id: 'drill', class: 'panel', hidden: true, 'aria-live': 'polite'}),
    breakdownPanel(table),
    coveragePanel(table),
    h('h2', {}, '趋势'),
    h('img', {class: 'trend', src: `/stats/chart.svg?${chart}`,
      alt: `${table.jurisdiction.name}三部分统计数据近几个半年度的趋势图`}),
    h('h2', {}, '各下级区划对比'),
    childrenChart(table, chart));
}

// The briefing chart by child jurisdiction, drawn when asked for: it costs what a breakdown does,
// and each account has only two expensive requests at a time (the table and the trend are one).
function childrenChart(table, query) {
  const box = h('div', {id: 'children-box'});
  const button = h('button', {class: 'btn secondary', type: 'button', id: 'show-children-chart', onclick: () => {
    clear(box, h('img', {class: 'trend', id: 'children-chart', src: `/stats/children.svg?${query}`,
      alt: `${table.jurisdiction.name}各下级行政区划“明厨亮灶”与 HACCP 占比、逾期未整改通知书数量对比图`}));
  }}, '显示“明厨亮灶”、HACCP 占比与逾期整改对比图');
  box.append(button);
  return box;
}

// --- the breakdown by child jurisdiction -------------------------------------------------------

// Figures as integers (counts) or cents (万元 shown with two decimals), to add children exactly.
function displayedUnits(row, text) {
  return row.unit === '万元' ? Math.round(Number(text) * 100) : Number(text);
}

function shownSum(row, units) {
  return row.unit === '万元' ? (units / 100).toFixed(2) : String(units);
}

// Why a total differs from the sum of its children: only B2 (distinct schools) and D4 (rounded
// once on the exact total) may; anything else would be a bug, and is said so.
function differenceNote(row, total, sum) {
  if (row.code === 'B2') {
    return `B2「${row.label}」：合计 ${total} 个，各下级相加为 ${sum} 个。同一所学校由不同下级区划的供餐单位供餐时，`
      + '在上级只计一次，故本行不能逐级相加。';
  }
  if (row.unit === '万元') {
    return `${row.code}「${row.label}」：合计 ${total} 万元，是全部金额按元精确相加后只四舍五入一次的结果；`
      + `各下级显示值（各自已四舍五入）相加为 ${sum} 万元，差额来自舍入，不是漏算。`;
  }
  return `${row.code}「${row.label}」：合计 ${total}，各下级相加为 ${sum}，请核实。`;
}

function breakdownTable(data) {
  const notes = [];
  const rows = data.rows.map((row) => {
    const total = data.total.display[row.code];
    const sum = shownSum(row, data.columns.reduce(
      (acc, column) => acc + displayedUnits(row, column.display[row.code]), 0));
    const differs = data.columns.length > 0 && sum !== total;
    if (differs) notes.push({code: row.code, text: differenceNote(row, total, sum)});
    const jurisdiction = {code: data.total.code, name: data.total.name};
    return h('tr', {dataset: {code: row.code}},
      h('th', {scope: 'row', class: 'code'}, row.code),
      h('th', {scope: 'row', class: 'label'}, row.group ? `${row.group.replace('整改问题数量', '')}·${row.label}` : row.label),
      h('td', {class: `num total${differs ? ' differs' : ''}`},
        cellLink(jurisdiction, row, total), differs ? h('sup', {title: '合计不等于各下级相加，见表下说明'}, '※') : null),
      data.columns.map((column) => h('td', {class: 'num'},
        cellLink({code: column.code, name: column.name}, row, column.display[row.code]))));
  });
  const explained = notes.length
    ? h('div', {class: 'breakdown-notes'}, h('p', {}, '※ 合计不等于各下级相加的行：'),
      h('ul', {}, notes.map((note) => h('li', {dataset: {code: note.code}}, note.text))))
    : h('p', {class: 'small muted breakdown-notes'}, '各行合计均等于各下级相加。');
  return [
    explained,
    h('div', {class: 'breakdown-scroll', tabindex: 0, role: 'region', 'aria-label': '按下级区划分列的统计表'},
      h('table', {class: 'breakdown'},
        h('thead', {}, h('tr', {},
          h('th', {scope: 'col', class: 'code'}, '代码'), h('th', {scope: 'col', class: 'label'}, '项目'),
          h('th', {scope: 'col', class: 'total'}, `${data.total.name}合计`),
          data.columns.map((column) => h('th', {scope: 'col'}, column.name)))),
        h('tbody', {}, rows))),
  ];
}

function breakdownPanel(table) {
  const body = h('div', {id: 'breakdown'});
  const button = h('button', {class: 'btn secondary', type: 'button', id: 'show-breakdown', onclick: load}, '按下级区划展开');
  async function load() {
    button.disabled = true;
    clear(body, h('p', {class: 'muted'}, '正在计算各下级区划的统计数…'));
    const query = new URLSearchParams({cutoff: table.cutoff});
    try {
      const answer = await getJson(`${API}/${table.jurisdiction.code}/${table.period.key}/breakdown?${query}`);
      if (!answer.ok) clear(body, h('p', {class: 'bad'}, messageOf(answer)));
      else if (!answer.data.columns.length) clear(body, h('p', {class: 'muted'}, `${table.jurisdiction.name}没有下级区划。`));
      else clear(body, breakdownTable(answer.data));
    } catch {
      clear(body, h('p', {class: 'bad'}, '网络不可用，请稍后重试。'));
    } finally {
      button.disabled = false;
    }
  }
  return h('section', {class: 'stats-block'},
    h('div', {class: 'block-head'}, h('h2', {}, '分地区统计（按直接下级区划）'), button),
    h('p', {class: 'small muted'}, '每个下级区划一列；点击任一数字查看其明细记录。'),
    body);
}

// --- pages of records -----------------------------------------------------------------------

function pager(page, go) {
  const pages = page.total_is_estimate ? null : Math.max(1, Math.ceil(page.total / page.per_page));
  return h('div', {class: 'pager'},
    h('span', {class: 'small'}, `共 ${page.total}${page.total_is_estimate ? '+' : ''} 条，第 ${page.page}${pages ? ` / ${pages}` : ''} 页`),
    h('button', {class: 'btn secondary small', type: 'button', disabled: page.page <= 1,
      onclick: () => go(page.page - 1)}, '上一页'),
    h('button', {class: 'btn secondary small', type: 'button', disabled: !page.next_cursor && !(pages && page.page < pages),
      onclick: () => go(page.page + 1)}, '下一页'));
}

function unitLink(unit) {
  return h('a', {href: `/desk/units/${unit.id}`}, unit.name);
}

function grid(headers, rows) {
  return h('table', {class: 'grid'},
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', {scope: 'col'}, t)))),
    h('tbody', {}, rows));
}

// --- drill-down: the records behind a cell ----------------------------------------------------

const RECORD_TABLES = {
  units: (items) => grid(['单位', '类型', '所在地', '许可证编号', '依据'], items.map((r) => h('tr', {},
    h('td', {}, unitLink(r.unit)), h('td', {}, r.unit.kind_label), h('td', {}, r.unit.jurisdiction_name),
    h('td', {}, r.unit.licence_no || '—'), h('td', {class: 'small'}, evidence(r))))),
  schools: (items) => grid(['学校', '所在地'], items.map((r) => h('tr', {},
    h('td', {}, h('a', {href: `/desk/schools/${r.school.id}`}, r.school.name)), h('td', {}, r.school.jurisdiction_name)))),
  inspections: (items) => grid(['检查日期', '单位', '类型', '所在地', '检查结果', '发现问题'], items.map((r) => h('tr', {},
    h('td', {}, r.inspection.inspected_on), h('td', {}, unitLink(r.unit)), h('td', {}, r.unit.kind_label),
    h('td', {}, r.unit.jurisdiction_name), h('td', {}, r.inspection.result_label), h('td', {class: 'num'}, r.inspection.problems_found)))),
  orders: (items) => grid(['通知书编号', '下达日期', '整改期限', '状态', '单位', '所在地', '检查日期'], items.map((r) => h('tr', {},
    h('td', {}, r.order.number), h('td', {}, r.order.issued_on), h('td', {}, r.order.deadline), h('td', {}, r.order.status_label),
    h('td', {}, unitLink(r.unit)), h('td', {}, r.unit.jurisdiction_name), h('td', {}, r.inspection.inspected_on)))),
  cases: (items) => grid(['案件编号', '本行依据日期', '单位', '所在地', '罚款（元）', '没收违法所得（元）', '罚没合计（元）'], items.map((r) => h('tr', {},
    h('td', {}, r.case.case_no), h('td', {}, r.case.stage_on), h('td', {}, unitLink(r.unit)), h('td', {}, r.unit.jurisdiction_name),
    h('td', {class: 'num'}, r.case.fine_yuan), h('td', {class: 'num'}, r.case.confiscated_yuan), h('td', {class: 'num'}, r.case.amount_yuan)))),
};

// Why a unit is listed: the inspections that recorded the problem (C rows) or its cases (D5, D6).
function evidence(record) {
  if (record.inspections) {
    return h('ul', {class: 'evidence'}, record.inspections.map((i) => h('li', {},
      h('a', {href: `/desk/inspections?unit_id=${record.unit.id}`}, `${i.inspected_on} 检查`), '：',
      i.problems.map((p) => `${p.item_code ? `${p.item_code} ` : ''}${p.description}`).join('；'))));
  }
  if (record.cases) {
    return record.cases.map((c) => `${c.case_no}（${c.stage_on}）`).join('；');
  }
  return '截止日期持证';
}

async function openDrill(jurisdiction, rowCode, page = 1) {
  const panel = document.getElementById('drill');
  if (!panel || !current) return;
  panel.hidden = false;
  const query = new URLSearchParams({cutoff: current.cutoff, page: String(page), per_page: '20'});
  clear(panel, h('p', {class: 'muted'}, '正在加载明细…'));
  const address = new URLSearchParams(location.search);
  address.set('drill', `${jurisdiction.code}:${rowCode}`);
  history.replaceState(null, '', `?${address}`);
  panel.scrollIntoView({block: 'start'});
  let answer;
  try {
    answer = await getJson(`${API}/${jurisdiction.code}/${current.period.key}/cells/${rowCode}?${query}`);
  } catch {
    clear(panel, h('p', {class: 'bad'}, '网络不可用，请稍后重试。'));
    return;
  }
  if (!answer.ok) {
    clear(panel, h('p', {class: 'bad'}, messageOf(answer)));
    return;
  }
  const data = answer.data;
  const unit = data.row.unit === '万元' ? '元' : data.row.unit;
  const summary = data.row.unit === '万元'
    ? `表中数字 ${data.value} 万元（精确值 ${data.exact} 元），来自以下 ${data.total} 项处罚决定的罚没金额之和。`
    : `表中数字 ${data.value}${unit}，以下列出 ${data.total} 条${data.records_label}记录。`;
  clear(panel,
    h('div', {class: 'block-head'},
      h('h2', {}, `明细：${data.jurisdiction.name} ${data.row.code}「${data.row.label}」`),
      h('button', {class: 'btn secondary small', type: 'button', onclick: () => {
        panel.hidden = true;
        const back = new URLSearchParams(location.search);
        back.delete('drill');
        history.replaceState(null, '', `?${back}`);
      }}, '关闭')),
    h('p', {class: 'small'}, `${data.period.label}，截止 ${data.cutoff}。${summary}`),
    data.items.length ? RECORD_TABLES[data.records](data.items) : h('p', {class: 'muted'}, '没有记录。'),
    pager(data, (next) => openDrill(jurisdiction, rowCode, next)));
}

// --- coverage: the units not inspected in the period -------------------------------------------

function coveragePanel(table) {
  const kinds = table.coverage.filter((c) => c.units > 0);
  const state = {kind: kinds.find((c) => c.uninspected > 0)?.kind || kinds[0]?.kind || 'canteen'};
  const body = h('div', {id: 'uninspected'});
  const tabs = h('div', {class: 'tabs', role: 'tablist'});
  const base = `${API}/${table.jurisdiction.code}/${table.period.key}/coverage`;

  function drawTabs() {
    clear(tabs, table.coverage.map((c) => h('button', {type: 'button', role: 'tab',
      class: `tab${c.kind === state.kind ? ' active' : ''}`, 'aria-selected': String(c.kind === state.kind),
      dataset: {kind: c.kind}, onclick: () => { state.kind = c.kind; load(1); }},
    `${c.kind_label} 未检查 ${c.uninspected} / ${c.units}`)));
  }

  async function load(page) {
    drawTabs();
    clear(body, h('p', {class: 'muted'}, '正在加载…'));
    const query = new URLSearchParams({cutoff: table.cutoff, kind: state.kind, page: String(page), per_page: '20'});
    let answer;
    try {
      answer = await getJson(`${base}?${query}`);
    } catch {
      clear(body, h('p', {class: 'bad'}, '网络不可用，请稍后重试。'));
      return;
    }
    if (!answer.ok) {
      clear(body, h('p', {class: 'bad'}, messageOf(answer)));
      return;
    }
    const data = answer.data;
    const exportQuery = new URLSearchParams({cutoff: table.cutoff, kind: state.kind});
    clear(body,
      h('p', {class: 'actions'}, h('a', {class: 'btn secondary small', id: 'coverage-export', href: `${base}/export.xlsx?${exportQuery}`},
        '导出 Excel'), h('span', {class: 'small muted'}, ' 导出当前类型的全部未检查单位。')),
      data.items.length
        ? grid(['单位', '类型', '所在地', '许可证编号', '截止日期前最近一次检查'], data.items.map((u) => h('tr', {},
          h('td', {}, unitLink(u)), h('td', {}, u.kind_label), h('td', {}, u.jurisdiction_name),
          h('td', {}, u.licence_no || '—'), h('td', {}, u.last_inspected_on || '从未检查'))))
        : h('p', {class: 'muted'}, '该类型的单位期内均已检查。'),
      pager(data, load));
  }

  const button = h('button', {class: 'btn secondary', type: 'button', id: 'show-coverage', onclick: () => load(1)}, '查看未检查单位');
  return h('section', {class: 'stats-block'},
    h('div', {class: 'block-head'}, h('h2', {}, '期内未检查的单位'), button),
    h('p', {class: 'small muted'}, `${table.period.label}（至 ${table.cutoff}）没有任何有效检查记录的单位（全部登记单位，含许可证已失效的），按类型分页列出。`),
    tabs, body);
}

async function start() {
  document.querySelector('[data-action=logout]')?.addEventListener('click', () => logout('/'));
  const answer = await getJson(`${API}/options`);
  if (!answer.ok) {
    clear(root, h('p', {class: 'card bad', role: 'alert'}, messageOf(answer)));
    return;
  }
  window.addEventListener('popstate', () => show(answer.data).catch(failure));
  await show(answer.data);
  const drill = new URLSearchParams(location.search).get('drill');
  if (drill && current) {
    const [code, row] = drill.split(':');
    const jurisdiction = answer.data.jurisdictions.find((j) => j.code === code);
    if (jurisdiction) openDrill(jurisdiction, row);
  }
}

start().catch(failure);
