// The statistics page: pick a jurisdiction and a period (what the server offers), see the live
// table in the official layout, its checks and coverage, the trend chart, and the snapshots
// (build one, download its workbook). Everything comes from the JSON API; the choice is kept in
// the address (?jurisdiction=…&period=…) so that a link or a reload shows the same table.
import {NetworkError, logout, messageOf, needsLogin, request} from '/static/web/api.js';
import {clear, dayLabel, h} from '/static/web/dom.js';

const root = document.getElementById('app');
const API = '/api/v1/statistics';

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
      h('td', {class: 'num'}, String(row.value))))));
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
  const chart = new URLSearchParams({jurisdiction: table.jurisdiction.code, period: table.period.key});
  clear(root,
    picker(options, chosen),
    h('h1', {}, `${table.jurisdiction.name} ${table.period.label}${table.title}`),
    h('p', {class: 'muted small'}, `统计期间 ${dayLabel(table.period.start)}至${dayLabel(table.cutoff)}（截止日期）；`
      + `基本情况为截止日期当天的状态，其余为期间内发生数。定义版本 ${table.definition_version}。`),
    h('div', {class: 'stats-layout'},
      h('section', {}, officialTable(table), table.notes.map((note) => h('p', {class: 'small muted'}, note))),
      h('section', {}, checks(table), snapshotsPanel(options, table))),
    h('h2', {}, '趋势'),
    h('img', {class: 'trend', src: `/stats/chart.svg?${chart}`,
      alt: `${table.jurisdiction.name}三部分统计数据近几个半年度的趋势图`}));
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
}

start().catch(failure);
