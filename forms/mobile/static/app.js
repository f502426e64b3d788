// The inspector's app: log in → find the unit → fill the checklist → review → submit to the
// outbox. Works offline once loaded: the service worker keeps the app, IndexedDB the rest.
// Only what the home screen needs is imported up front; each other screen's module is imported
// when it is first opened (from the service worker's cache): on a slow network the first sync
// does not share the connection with code the inspector has not asked for yet.
import {NetworkError, logout, request, session, updateUser} from '/static/web/api.js';
import {clear, dayLabel, h, resultChip} from '/static/web/dom.js';
import {loginForm} from '/static/web/login.js';
import {
  cachedTasks, cachedVocabulary, definitionFor, findUnits, formKeyFor, refreshCatalog, rememberUnit, syncState,
  unitByLicence,
} from './catalog.js';
import {deleteDraft, draftsOf, getDraft, newDraft, saveDraft} from './draft.js';
import {discard, enqueue, entriesOf, flush, pruneSent, reopen} from './outbox.js';
import {topUpNumbers} from './numbers.js';
import {removePhotosOf} from './photos.js';
import {getMeta, setMeta} from './store.js';
import {asOf, taskList} from './tasks.js';
import {scanButton} from './unit.js';

const root = document.getElementById('app');
const net = document.getElementById('net');
const logoutButton = document.getElementById('logout');
let user = null;
let syncing = null;
let flash = null;
let repaintUnits = null;

function paintNetwork() {
  net.textContent = navigator.onLine ? '在线' : '离线';
  net.className = `pill ${navigator.onLine ? 'online' : 'offline'}`;
}

function go(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = path;
}

function showLogin(message) {
  logoutButton.hidden = true;
  clear(root, h('section', {class: 'card'},
    h('h1', {}, '执法人员登录'),
    message ? h('p', {class: 'error'}, message) : null,
    loginForm(async (who) => {
      user = who;
      await start();
    })));
}

// Called by start.js: with the user who has just logged in there, or to resume the stored session.
export async function boot(loggedIn = null) {
  paintNetwork();
  window.addEventListener('online', () => { paintNetwork(); sync(); });
  window.addEventListener('offline', paintNetwork);
  window.addEventListener('hashchange', route);
  window.addEventListener('outbox-changed', refreshView);
  window.addEventListener('login-required', () => showLogin('登录已过期，请重新登录；待发送的检查将在登录后自动发送。'));
  logoutButton.addEventListener('click', async () => {
    const pending = user ? (await entriesOf(user)).filter((e) => e.status === 'pending').length : 0;
    if (pending && !confirm(`还有 ${pending} 条检查未发送，将在您下次登录后发送。确定退出？`)) return;
    await logout('/m/');
  });
  navigator.storage?.persist?.();
  user = loggedIn || session()?.user || null;
  if (!user) {
    registerServiceWorker();
    return showLogin();
  }
  if (loggedIn) return start();
  // A stored session: the home is shown and synced at once from what this phone holds, while the
  // server is asked who the session belongs to now (beside the sync, not a round trip before it).
  const started = start();
  const before = user;
  await confirmSession();
  if (user && user.role !== before.role) await start();
  await started;
}

// The service worker keeps the app for offline use (the screens' modules too, which the page
// itself imports only when they open). A phone without it registers it as the sync starts, so that
// it can be taken offline as soon as the sync is done; one that has it (the page came from it)
// registers again, which only asks the server for an update, once the sync is over.
let registered = false;
function registerServiceWorker() {
  if (registered || !('serviceWorker' in navigator)) return;
  registered = true;
  navigator.serviceWorker.register('/m/sw.js', {scope: '/m/'}).catch(() => {});
}

// Who the stored session belongs to now (a role or name may have changed); offline, carry on as the
// user who last logged in on this phone.
async function confirmSession() {
  try {
    const me = await request('/api/v1/auth/me');
    if (me.status === 401) {
      user = null;
      showLogin();
    } else if (me.ok) {
      user = me.data;
      updateUser(user);
    }
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
  }
}

async function start() {
  if (user.role !== 'inspector') {
    clear(root, h('p', {class: 'card'}, '本应用供市场监管执法人员使用。'), h('a', {href: '/'}, '返回首页'));
    return;
  }
  logoutButton.hidden = false;
  // The sync's requests go out first; the screen is painted from stored data while they travel.
  const synced = sync();
  if (!navigator.serviceWorker?.controller) registerServiceWorker();
  route();
  await synced;
}

// Refresh the offline catalogue and send what waits in the outbox.
async function sync() {
  if (!user || !navigator.onLine) return;
  syncing ||= (async () => {
    document.documentElement.dataset.sync = 'running';
    let done = false;
    let changed = true;
    try {
      // The catalogue, and order numbers this phone may issue offline, fetched at the same time.
      [changed] = await Promise.all([refreshCatalog(user), topUpNumbers(user)]);
      done = true;
    } catch (error) {
      document.documentElement.dataset.sync = 'failed';
      if (error.answer?.status === 401) return showLogin();
      if (!(error instanceof NetworkError) && !error.answer) throw error;
    } finally {
      syncing = null;
    }
    // Nothing new (every answer a 304): the home shown from stored data is already right but for
    // the time of the sync; a repaint of it would only cost a slow phone a few hundred ms.
    if (changed || !document.getElementById('sync-state')) await refreshView();
    else await stampSynced();
    // "done" once the screen shows what was stored: a repaint after it would replace what the
    // inspector has begun typing.
    if (done) document.documentElement.dataset.sync = 'done';
    registerServiceWorker();
    await flush({force: true});
  })();
  return syncing;
}

async function stampSynced() {
  const [synced, tasks] = await Promise.all([syncState(user), cachedTasks(user)]);
  const state = document.getElementById('sync-state');
  if (state) state.textContent = syncedLine(synced);
  const tasksAsOf = document.getElementById('tasks-as-of');
  if (tasksAsOf) tasksAsOf.textContent = asOf(tasks);
}

// Repaint the home and outbox screens when their data changes, but never under the inspector's fingers.
function refreshView() {
  if (location.hash.startsWith('#/draft/') && !document.getElementById('not-downloaded')) return;
  if (/^#\/(unit|order|record)\//.test(location.hash)) return; // pages the inspector (or operator) is reading
  if (document.querySelector('[data-no-refresh]')) return; // a form being filled in (register, case, profile, void)
  if (document.activeElement?.id === 'unit-search' && repaintUnits) return repaintUnits();
  return route();
}

// A screen's module, imported when the screen first opens; null, and the screen says so, when it
// cannot be (offline in the moments after a first login, before the service worker has kept it).
async function load(importing) {
  try {
    return await importing;
  } catch {
    clear(root, h('p', {class: 'card bad'}, '此页面尚未下载到本机，请联网后重新打开本应用。'),
      h('a', {class: 'btn secondary block', href: '#/'}, '返回首页'));
    return null;
  }
}

async function route() {
  if (!user || user.role !== 'inspector') return;
  const [path, query = ''] = location.hash.split('?');
  const [, view, id, step, focus] = path.split('/');
  const params = new URLSearchParams(query);
  if (view === 'draft' && id) return showDraft(id, step || 'info', focus);
  if (view === 'outbox') return showOutbox();
  if (view === 'unit' && id) return (await load(import('./unit.js')))?.showUnit(root, user, id, {startDraft});
  if (view === 'order' && id) return (await load(import('./recheck.js')))?.showOrder(root, user, id, {go});
  if (view === 'inspection' && id) return (await load(import('./inspection.js')))?.showInspection(root, user, id);
  if (view === 'record' && id) return (await load(import('./record.js')))?.showEntryRecord(root, user, id);
  if (view === 'case' && id) return (await load(import('./case.js')))?.showCase(root, user, location.hash.slice('#/case/'.length));
  if (view === 'register') return (await load(import('./register.js')))?.showRegister(root, user);
  if (view === 'profile') return (await load(import('./profile.js')))?.showProfile(root, user, (changed) => { user = changed; });
  return showHome(params.get('tab') || 'all');
}

// A licence number typed (or scanned) → its unit's page: from the offline list, else the server.
async function openLicence(number) {
  const wanted = number.trim().toUpperCase();
  let unit = await unitByLicence(user, wanted);
  if (!unit && navigator.onLine) {
    try {
      const answer = await request(`/api/v1/units?q=${encodeURIComponent(wanted)}&per_page=5`);
      unit = answer.ok ? answer.data.items.find((u) => u.licence_no === wanted) : null;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
  }
  if (unit) return go(`/unit/${unit.id}`);
  flash = `没有找到许可证编号为 ${wanted} 的单位。`;
  return showHome('all');
}

// --- home: what is due, and find a unit -------------------------------------------------

let homeTurn = 0;

async function showHome(tab) {
  const turn = ++homeTurn;
  const [drafts, entries, synced, query] = await Promise.all([
    draftsOf(user), entriesOf(user), syncState(user), getMeta('lastQuery', '').then((q) => q || '')]);
  const search = h('input', {id: 'unit-search', type: 'search', value: query, placeholder: '名称、简称、地址、许可证号或学校',
    autocomplete: 'off', enterkeyhint: 'search'});
  const results = h('ul', {class: 'list', id: 'units'});
  const tasks = await taskList(user, {tab, drafts, entries});
  // A later repaint (the sync has stored more) has begun meanwhile: it shows the newer data.
  if (turn !== homeTurn) return;
  let saved = query;
  const paint = async () => {
    const searching = Boolean(search.value.trim());
    tasks.hidden = searching;
    results.hidden = !searching;
    if (search.value !== saved) {
      saved = search.value;
      await setMeta('lastQuery', saved);
    }
    if (!searching) return;
    const {total, units} = await findUnits(user, search.value);
    results.replaceChildren(...units.map(unitResult));
    if (!units.length) {
      results.append(h('li', {class: 'pad muted'}, synced ? '没有找到匹配的单位。' : '单位清单尚未下载，请联网后打开本应用。'));
    } else if (total > units.length) {
      results.append(h('li', {class: 'pad muted small'}, `另有 ${total - units.length} 个单位，请输入更多文字缩小范围。`));
    }
  };
  search.addEventListener('input', paint);
  const form = h('form', {role: 'search', onsubmit: (event) => {
    event.preventDefault();
    if (/^[A-Za-z]{2}[0-9]{14}$/.test(search.value.trim())) openLicence(search.value);
  }}, h('label', {for: 'unit-search'}, '搜索本辖区单位（可输入许可证编号）'), search);
  repaintUnits = paint;
  // A home screen already shown may have been typed in while this one was being prepared (a repaint
  // after a sync or a hash change): carry over what the inspector typed, and the focus.
  const typed = document.getElementById('unit-search');
  const typing = typed && document.activeElement === typed;
  if (typed) search.value = typed.value;
  clear(root,
    flash ? h('p', {class: 'card warn', role: 'status'}, flash) : null,
    form,
    h('div', {class: 'actions'}, scanButton(openLicence), h('a', {class: 'link', href: '#/outbox'}, '已提交的记录')),
    h('p', {class: 'muted small', id: 'sync-state'}, syncedLine(synced)),
    results, tasks);
  flash = null;
  if (typing) search.focus();
  await paint();
}

function syncedLine(synced) {
  return synced
    ? `离线可用：已保存 ${synced.units} 个单位（${new Date(synced.at).toLocaleString('zh-CN', {hour12: false})} 同步）`
    : '正在下载本辖区单位清单…';
}

// A search result: tap to start an inspection; its page (档案) beside it.
function unitResult(unit) {
  const last = unit.last_inspection;
  return h('li', {class: 'unit-row'},
    h('button', {class: 'row-button', type: 'button', dataset: {unit: String(unit.id)}, onclick: () => startDraft(unit)},
      h('strong', {}, unit.name, unit.recent ? h('span', {class: 'chip neutral small'}, '最近') : null),
      h('span', {class: 'muted small'}, [unit.kind_label, unit.school_name, unit.licence_no].filter(Boolean).join(' · ')),
      h('span', {class: 'small'}, last ? ['上次 ', dayLabel(last.date), ' ', resultChip(last.result, last.result_label)] : '从未检查',
        unit.open_orders ? h('span', {class: 'chip noncompliant small'}, `未销号 ${unit.open_orders}`) : null)),
    h('a', {class: 'btn secondary', href: `#/unit/${unit.id}`, dataset: {unitPage: String(unit.id)}, 'aria-label': `${unit.name}的档案`}, '档案'));
}

let starting = false;

async function startDraft(unit) {
  if (starting) return; // a second tap while the first one is under way
  starting = true;
  try {
    await createDraft(unit);
  } finally {
    starting = false;
  }
}

async function createDraft(unit) {
  const formKey = await formKeyFor(unit);
  if (!formKey || !(await definitionFor(...formKey.split('@'))) || !(await cachedVocabulary())) {
    flash = '该单位类型的检查表尚未下载，请联网后重试。';
    return showHome('all');
  }
  const draft = newDraft(user, unit, formKey, await getMeta('companion', null));
  draft.last_failed = await lastFailures(unit.id);
  await saveDraft(draft);
  await rememberUnit(unit.id);
  go(`/draft/${draft.id}/info`);
}

// Items failed at the unit's last inspection must be checked again: they are marked (online only;
// a slow network is not waited for longer than a few seconds).
async function lastFailures(unitId) {
  if (!navigator.onLine) return [];
  const timeout = new Promise((resolve) => { setTimeout(() => resolve(null), 4000); });
  const fetchLast = async () => {
    const list = await request(`/api/v1/inspections?unit_id=${unitId}&per_page=1`);
    const last = list.ok && list.data.items[0];
    if (!last) return [];
    const detail = await request(`/api/v1/inspections/${last.id}`);
    return detail.ok ? detail.data.findings.filter((f) => f.item).map((f) => f.item) : [];
  };
  try {
    return (await Promise.race([fetchLast(), timeout])) || [];
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    return [];
  }
}

// --- a draft ---------------------------------------------------------------------------

async function showDraft(id, step, focus) {
  const draft = await getDraft(id);
  if (!draft || draft.user_id !== user.id) return go('/');
  const definition = await definitionFor(draft.form_id, draft.form_version);
  const vocabulary = await cachedVocabulary();
  const form = await load(import('./form.js'));
  if (!form) return;
  if (!definition || !vocabulary) {
    clear(root, h('p', {class: 'card bad', id: 'not-downloaded'}, '检查表尚未下载，请联网后打开本应用。草稿已保存在本机。'),
      h('a', {class: 'btn secondary block', href: '#/'}, '返回单位列表'));
    return;
  }
  form.renderDraft(root, draft, definition, vocabulary, step, {
    go: (next) => go(`/draft/${id}/${next}`),
    submit: () => submit(draft, definition),
    discard: async () => {
      if (!confirm('删除此草稿？已填写的内容和照片将被删除。')) return;
      await deleteDraft(id);
      await removePhotosOf(id);
      go('/');
    },
  });
  const target = focus && document.getElementById(`item-${decodeURIComponent(focus)}`);
  if (target) target.scrollIntoView({block: 'center'});
  else window.scrollTo(0, 0);
}

async function submit(draft, definition) {
  const companion = draft.inspectors.find((p, i) => i > 0 && p.name.trim());
  if (companion) await setMeta('companion', companion);
  await enqueue(draft, definition);
  await flush({force: true});
  const entry = (await entriesOf(user)).find((e) => e.id === draft.id);
  if (entry && entry.status === 'rejected' && entry.http_status === 422) {
    const reopened = await reopen(entry.id);
    return go(`/draft/${reopened.id}/review`);
  }
  go('/outbox');
}

// --- the outbox ------------------------------------------------------------------------

const STATUS = {pending: '待发送', sent: '已发送', rejected: '被退回'};

const KEEP_SENT = 50;

async function showOutbox() {
  await pruneSent(user, KEEP_SENT);
  const entries = await entriesOf(user);
  const labels = await load(import('./labels.js'));
  if (!labels) return;
  clear(root,
    h('h1', {}, '已提交的记录'),
    h('p', {class: 'muted small'}, navigator.onLine ? '联网时自动发送。' : '当前离线：恢复联网后自动发送。',
      ` 本机保留最近 ${KEEP_SENT} 条已发送记录，更早的请在单位档案中查看。`),
    entries.length ? h('ul', {class: 'list', id: 'outbox'}, entries.map((e) => outboxRow(e, labels.describeErrors))) : h('p', {class: 'muted'}, '暂无记录。'),
    h('a', {class: 'btn secondary block', href: '#/tasks'}, '返回首页'));
}

function outboxRow(entry, describeErrors) {
  const actions = [];
  if (entry.status === 'pending') {
    actions.push(h('button', {class: 'btn secondary', type: 'button', onclick: () => flush({force: true})}, '立即发送'));
  }
  if (entry.status === 'rejected' && entry.kind === 'recheck') {
    actions.push(h('a', {class: 'btn secondary', href: `#/order/${entry.order_id}`}, '查看整改通知'));
    actions.push(h('button', {class: 'link', type: 'button', onclick: async () => {
      if (confirm('删除这条被退回的复查？')) await discard(entry.id);
    }}, '删除'));
  } else if (entry.status === 'rejected' && !entry.draft) { // a void or a registration: nothing to edit
    actions.push(h('button', {class: 'link', type: 'button', onclick: () => discard(entry.id)}, '删除'));
  } else if (entry.status === 'rejected' && entry.kind === 'correction' && entry.http_status === 409) {
    actions.push(h('a', {class: 'btn secondary', href: `#/inspection/${entry.doc.id}`}, '查看最新版本'));
    actions.push(h('button', {class: 'link', type: 'button', onclick: () => discard(entry.id)}, '删除'));
  } else if (entry.status === 'rejected') {
    const asNew = entry.http_status === 409 || entry.http_status === 410;
    actions.push(h('button', {class: 'btn secondary', type: 'button', onclick: async () => {
      const draft = await reopen(entry.id, {asNew});
      go(`/draft/${draft.id}/review`);
    }}, asNew ? '作为新检查重新提交' : '返回修改'));
    actions.push(h('button', {class: 'link', type: 'button', onclick: async () => {
      if (confirm('删除这条被退回的检查？')) await discard(entry.id);
    }}, '删除'));
  }
  return h('li', {class: `outbox-entry ${entry.status}`, dataset: {id: entry.id, status: entry.status}},
    h('p', {}, h('strong', {}, entry.unit_name), ' ',
      h('span', {class: `pill status-${entry.status}`}, STATUS[entry.status])),
    h('p', {class: 'muted small'}, `提交于 ${new Date(entry.queued_at).toLocaleString('zh-CN', {hour12: false})}`,
      entry.photos.length ? ` · 照片 ${entry.photos.length} 张` : '',
      entry.status === 'pending' && entry.attempts ? ` · 已尝试 ${entry.attempts} 次` : ''),
    entry.status === 'sent' && entry.kind === 'recheck' ? h('p', {}, '复查后：', entry.result_label,
      ` 发送于 ${dayLabel(entry.sent_at)} `, h('a', {class: 'link', href: `#/order/${entry.order_id}`}, '查看')) : null,
    entry.status === 'sent' && entry.kind !== 'recheck' && entry.result ? h('p', {}, '检查结果：', resultChip(entry.result, entry.result_label),
      ` 发送于 ${dayLabel(entry.sent_at)}`) : null,
    entry.status === 'sent' && (entry.doc?.id || entry.target) && !['unit', 'recheck'].includes(entry.kind)
      ? h('a', {class: 'btn secondary', href: `#/inspection/${entry.kind === 'void' ? entry.target : entry.doc.id}`}, '查看记录') : null,
    entry.status === 'sent' && ['inspection', 'correction'].includes(entry.kind) && entry.doc?.id && navigator.onLine
      ? h('a', {class: 'btn secondary print-record', href: `/api/v1/inspections/${entry.doc.id}/record.pdf`,
        target: '_blank', rel: 'noopener'}, '打印/分享记录表') : null,
    // Before sync (or offline), the record as the phone holds it; the PDF follows after sync.
    entry.draft && ['inspection', 'correction'].includes(entry.kind) && (entry.status !== 'sent' || !navigator.onLine)
      ? h('a', {class: 'btn secondary draft-record', href: `#/record/${entry.id}`}, '查看记录表（草稿）') : null,
    entry.doc?.rectification_order?.number ? h('p', {class: 'small order-no'}, `责令改正通知书 ${entry.doc.rectification_order.number}`) : null,
    (entry.warnings || []).map((w) => h('p', {class: 'small'}, w)),
    entry.message ? h('p', {class: entry.status === 'rejected' ? 'error reason' : 'muted small reason'}, entry.message) : null,
    entry.status === 'rejected' ? h('ul', {class: 'small'},
      describeErrors(entry.errors).map((line) => h('li', {}, line))) : null,
    actions.length ? h('div', {class: 'actions'}, actions) : null);
}

