// Home: what is due in the inspector's jurisdiction, as of the last sync (GET /api/v1/tasks,
// kept in IndexedDB), beside the phone's own drafts and outbox. Most urgent first.
import {dayLabel, h} from '/static/web/dom.js';
import {cachedTasks} from './catalog.js';

export const TABS = [
  ['all', '全部'], ['reported', '待复查'], ['overdue', '逾期'], ['uncovered', '全覆盖'], ['drafts', '草稿'], ['outbox', '待发送'],
];

function when(iso) {
  return new Date(iso).toLocaleString('zh-CN', {hour12: false, month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit'});
}

function orderRow(order, kind) {
  const late = order.days_overdue > 0;
  return h('li', {dataset: {task: kind, order: String(order.id)}},
    h('a', {class: 'row-button', href: `#/order/${order.id}`},
      h('strong', {}, order.unit.name, ' ',
        kind === 'reported' ? h('span', {class: 'chip basic small'}, '待复查') : null,
        late ? h('span', {class: 'chip noncompliant small'}, `逾期 ${order.days_overdue} 天`) : null),
      h('span', {class: 'muted small'}, `${order.number} · 期限 ${dayLabel(order.deadline)} · ${order.status_label}`)));
}

function unitRow(unit) {
  return h('li', {dataset: {task: 'uncovered', taskUnit: String(unit.id)}},
    h('a', {class: 'row-button', href: `#/unit/${unit.id}`},
      h('strong', {}, unit.name),
      h('span', {class: 'muted small'}, [unit.kind_label,
        unit.last_inspected_on ? `上次检查 ${dayLabel(unit.last_inspected_on)}` : '从未检查'].join(' · '))));
}

function draftRow(draft) {
  const refused = Object.keys(draft.errors || {}).length;
  return h('li', {dataset: {task: 'draft'}},
    h('a', {class: 'row-button', href: `#/draft/${draft.id}/${refused ? 'review' : 'checklist'}`},
      h('strong', {}, draft.unit.name, ' ', h('span', {class: 'chip neutral small'}, '草稿')),
      h('span', {class: 'muted small'}, `开始于 ${when(draft.started_at)}`, refused ? ' · 被退回，需修改' : '')));
}

function outboxRow(entry) {
  return h('li', {dataset: {task: 'outbox'}},
    h('a', {class: 'row-button', href: '#/outbox'},
      h('strong', {}, entry.unit_name, ' ', h('span', {class: `pill status-${entry.status}`},
        entry.status === 'rejected' ? '被退回' : '待发送')),
      h('span', {class: 'muted small'}, `${entry.kind === 'recheck' ? '复查' : '检查'} · 提交于 ${when(entry.queued_at)}`)));
}

// When the tasks shown were synced (the line above the list).
export function asOf(cached) {
  return cached
    ? `${cached.data.period_label || ''}全覆盖 · 数据同步于 ${when(cached.at)}${navigator.onLine ? '' : '（离线）'}`
    : '待办事项尚未下载，请联网后打开本应用。';
}

// The task list, tab `tab`; `drafts` and `entries` are the phone's own (not yet sent).
export async function taskList(user, {tab, drafts, entries}) {
  const cached = await cachedTasks(user);
  const data = cached?.data || {reported: [], overdue: [], uncovered: [], counts: {reported: 0, overdue: 0, uncovered: 0}};
  const waiting = entries.filter((e) => e.status !== 'sent');
  const rows = {
    reported: data.reported.map((o) => orderRow(o, 'reported')),
    overdue: data.overdue.map((o) => orderRow(o, 'overdue')),
    uncovered: data.uncovered.map(unitRow),
    drafts: drafts.map(draftRow),
    outbox: waiting.map(outboxRow),
  };
  const counts = {...data.counts, drafts: drafts.length, outbox: waiting.length};
  // 全部: refused and unfinished work on the phone first, then overdue (longest first), then
  // reports waiting for 复查, then units not yet inspected; an order listed once.
  const seen = new Set();
  const once = (list, kind) => list.filter((o) => !seen.has(o.id) && seen.add(o.id)).map((o) => orderRow(o, kind));
  rows.all = [...waiting.filter((e) => e.status === 'rejected').map(outboxRow), ...rows.drafts,
    ...once(data.overdue, 'overdue'), ...once(data.reported, 'reported'), ...rows.uncovered];
  counts.all = counts.reported + counts.overdue + counts.uncovered + counts.drafts + counts.outbox;
  const current = rows[tab] ? tab : 'all';
  const shown = rows[current];
  const total = counts[current];
  const empty = {
    all: '暂无待办事项。', reported: '没有待复查的整改通知。', overdue: '没有逾期的整改通知。',
    uncovered: '本半年辖区内单位已全部检查。', drafts: '没有未完成的检查。', outbox: '没有待发送的记录。',
  }[current];
  return h('section', {id: 'tasks', 'aria-label': '待办事项'},
    h('nav', {class: 'tabs', role: 'tablist'}, TABS.map(([key, label]) => h('a', {
      href: `#/tasks?tab=${key}`, role: 'tab', 'aria-selected': String(key === current), class: key === current ? 'current' : '',
      dataset: {tab: key},
    }, label, h('span', {class: counts[key] ? 'count' : 'count zero'}, String(counts[key] ?? 0))))),
    h('p', {class: 'muted small', id: 'tasks-as-of'}, asOf(cached)),
    shown.length ? h('ul', {class: 'list', id: 'task-list'}, shown) : h('p', {class: 'muted pad'}, empty),
    total > shown.length && current !== 'all'
      ? h('p', {class: 'muted small'}, `另有 ${total - shown.length} 项未列出，请先处理以上最紧急的。`) : null);
}
