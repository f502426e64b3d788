// The auditor's page: search the audit log of the auditor's jurisdiction and export it as CSV.
// Read-only, over the API (which scopes every entry to the jurisdiction).
import {NetworkError, logout, messageOf, needsLogin, request, session} from './api.js';
import {clear, errorList, h} from './dom.js';
import {Vocabulary, vocabulary} from './vocabulary.js';

const root = document.getElementById('app');
const PER_PAGE = 50;
const EVENTS = {
  'auth.login': '登录',
  'auth.login.password': '密码正确（待两步验证）',
  'auth.login.enrol': '登录时绑定验证器',
  'auth.login.two_factor': '两步验证',
  'audit.export': '导出审计日志',
  'access.denied': '访问被拒绝',
  'report.download': '下载报表',
  'accounts.Logout.post': '退出登录',
  'accounts.Password.post': '修改本人密码',
  'accounts.Users.post': '创建用户',
  'accounts.UserById.patch': '修改用户（停用、重置密码或验证器）',
  'accounts.UserSessions.delete': '结束用户的全部会话',
  'accounts.UserSession.delete': '结束用户的一个会话',
  'accounts.Policy.put': '开启两步验证策略',
  'accounts.Policy.delete': '关闭两步验证策略',
  'accounts.RecoveryCodes.post': '重新生成恢复码',
};
let terms = new Vocabulary({});  // roles and outcomes, labelled once the server's vocabulary arrives

const fields = {
  username: h('input', {id: 'f-username', type: 'search', autocapitalize: 'off'}),
  event: h('input', {id: 'f-event', type: 'search', autocapitalize: 'off', placeholder: '如 auth.login', list: 'event-codes'}),
  object_id: h('input', {id: 'f-object_id', type: 'search', autocapitalize: 'off', placeholder: '如用户编号'}),
  outcome: h('select', {id: 'f-outcome'}, h('option', {value: ''}, '全部')),
  date_from: h('input', {id: 'f-date_from', type: 'date'}),
  date_to: h('input', {id: 'f-date_to', type: 'date'}),
};
const LABELS = {username: '用户名', event: '事件（前缀）', object_id: '对象编号', outcome: '结果', date_from: '起始日期', date_to: '截止日期'};
// The events by name: typing 登录 or a code offers the codes the log records.
const eventCodes = h('datalist', {id: 'event-codes'}, Object.entries(EVENTS).map(([code, label]) => h('option', {value: code}, label)));
const results = h('div', {id: 'results', 'aria-live': 'polite'});
const exportLink = h('a', {class: 'btn secondary', id: 'export', href: '/api/v1/audit/export.csv', download: ''}, '导出 CSV');
let page = 1;

function filters() {
  const query = new URLSearchParams();
  for (const [name, input] of Object.entries(fields)) {
    if (input.value.trim()) query.set(name, input.value.trim());
  }
  return query;
}

function entry(e) {
  return h('li', {class: 'card'},
    h('strong', {}, `${e.at.slice(0, 19).replace('T', ' ')} · ${EVENTS[e.event] || e.event}`), ' ',
    EVENTS[e.event] ? h('span', {class: 'muted small'}, e.event) : null, ' ',
    h('span', {class: `chip ${e.outcome === 'success' ? 'compliant' : 'noncompliant'}`}, terms.label('outcome', e.outcome)),
    h('dl', {class: 'facts'},
      h('dt', {}, '用户'), h('dd', {}, e.username ? `${e.username}（${e.role ? terms.label('role', e.role) : '—'}）` : '—'),
      h('dt', {}, '行政区划'), h('dd', {}, e.jurisdiction_code || '—'),
      h('dt', {}, '请求'), h('dd', {}, `${e.detail?.method || ''} ${e.detail?.path || ''} → ${e.status ?? ''}`),
      h('dt', {}, '对象'), h('dd', {}, e.object_id ? `${e.object_type || ''} ${e.object_id}` : '—'),
      h('dt', {}, '客户端地址'), h('dd', {}, e.client_ip || '—')));
}

async function search() {
  const query = filters();
  exportLink.href = `/api/v1/audit/export.csv?${query}`;
  query.set('page', page);
  query.set('per_page', PER_PAGE);
  let answer;
  try {
    answer = await request(`/api/v1/audit?${query}`);
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    return clear(results, errorList(['无法连接服务器，请检查网络后重试。']));
  }
  if (needsLogin(answer)) return location.assign('/');
  if (!answer.ok) return clear(results, errorList([messageOf(answer)]));
  const {items, total} = answer.data;
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  const pager = h('p', {},
    h('button', {class: 'btn secondary', type: 'button', disabled: page <= 1, onclick: () => { page -= 1; search(); }}, '上一页'), ' ',
    `第 ${page} / ${pages} 页，共 ${total} 条`, ' ',
    h('button', {class: 'btn secondary', type: 'button', disabled: page >= pages, onclick: () => { page += 1; search(); }}, '下一页'));
  clear(results,
    items.length ? h('ul', {class: 'list', id: 'entries'}, items.map(entry)) : h('p', {class: 'muted'}, '没有符合条件的记录。'),
    total > PER_PAGE ? pager : null);
}

const form = h('form', {class: 'card', novalidate: true},
  Object.entries(fields).map(([name, input]) => [h('label', {for: input.id}, LABELS[name]), input]),
  eventCodes, h('p', {}, h('button', {class: 'btn', type: 'submit'}, '查询'), ' ', exportLink));
form.addEventListener('submit', (event) => {
  event.preventDefault();
  page = 1;
  search();
});

const who = session()?.user;
clear(root,
  h('h1', {}, '审计日志'),
  h('p', {class: 'muted'}, `${who ? `${who.display_name}，` : ''}这里列出您辖区内账户的登录、操作和访问被拒绝等记录（只读）。`),
  form, results);
for (const button of document.querySelectorAll('[data-action=logout]')) button.addEventListener('click', logout);

async function start() {
  try {
    terms = await vocabulary();
  } catch (error) {
    if (!(error instanceof NetworkError) && !error.answer) throw error;
    // Without it the codes show; the search below reports what is wrong with the connection.
  }
  fields.outcome.append(...terms.options('outcome').map(([value, label]) => h('option', {value}, label)));
  await search();
}

start();
