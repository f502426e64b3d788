// An order (#/order/<id>) and its 复查: each open finding judged 已整改 / 未整改 with a note and
// photos. All rectified → the order closes; otherwise a new deadline (限期再整改) or a case.
// The re-inspection waits in the outbox like an inspection: sent once, whatever the network.
import {NetworkError, request} from '/static/web/api.js';
import {clear, dayLabel, errorList, h, uuid4} from '/static/web/dom.js';
import {cachedTasks, refreshTasks} from './catalog.js';
import {enqueueEntry, flush} from './outbox.js';
import {addPhoto, photoUrl, removePhoto} from './photos.js';
import {all, getMeta, keepRecent, setMeta} from './store.js';
import {orderCard} from './unit.js';

const FOLLOW_UP_DAYS = 15;

function isoDay(date) {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

// Online: the order as it is now (kept for offline); offline: that copy, or the one the task
// list or a unit page brought.
async function loadOrder(user, id) {
  if (navigator.onLine) {
    try {
      const answer = await request(`/api/v1/rectification-orders/${id}`);
      if (answer.ok) {
        await keepRecent('orders', `order:${id}`, answer.data);
        return answer.data;
      }
      if (answer.status === 404) return null;
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
    }
  }
  const kept = await getMeta(`order:${id}`);
  if (kept) return kept;
  const tasks = (await cachedTasks(user))?.data;
  const listed = tasks && [...tasks.reported, ...tasks.overdue].find((o) => String(o.id) === String(id));
  if (listed) return listed;
  for (const row of await all('meta')) {
    if (!row.key.startsWith('dossier:')) continue;
    const found = row.value.data.open_orders.find((o) => String(o.id) === String(id));
    if (found) return found;
  }
  return null;
}

export async function showOrder(root, user, id, {go}) {
  clear(root, h('p', {class: 'muted pad'}, '正在加载…'));
  const order = await loadOrder(user, id);
  if (!order) {
    clear(root, h('p', {class: 'card bad'}, navigator.onLine ? '整改通知不存在或不在您的辖区内。' : '离线：本机没有该整改通知，请联网后打开。'),
      h('a', {class: 'btn secondary block', href: '#/tasks'}, '返回'));
    return;
  }
  const pending = (await all('outbox')).find((e) => e.kind === 'recheck' && e.order_id === order.id && e.status === 'pending');
  const recheckId = pending?.id || (await getMeta(`recheck-draft:${order.id}`)) || uuid4();
  await keepRecent('recheck-drafts', `recheck-draft:${order.id}`, recheckId, 20);
  const open = order.findings.filter((f) => f.rectified !== true);
  const judged = new Map(open.map((f) => [f.id, {finding_id: f.id, rectified: null, note: '', photo_ids: []}]));
  const errors = h('div', {id: 'recheck-errors'});
  const followUp = h('div', {id: 'follow-up', hidden: true});
  const today = isoDay(new Date());
  let choice = 'deadline';
  const deadline = h('input', {type: 'date', id: 'new-deadline', min: today,
    value: isoDay(new Date(Date.now() + FOLLOW_UP_DAYS * 86_400_000))});
  // What the inspector has judged so far stays on the phone until the 复查 is submitted: leaving
  // the page (a call, another screen, a reload) loses nothing.
  const stateKey = `recheck-state:${order.id}`;
  const saved = await getMeta(stateKey);
  if (saved && saved.id === recheckId) {
    for (const r of saved.results) if (judged.has(r.finding_id)) Object.assign(judged.get(r.finding_id), r);
    choice = saved.choice || choice;
    deadline.value = saved.deadline || deadline.value;
  }
  const persist = () => keepRecent('recheck-states', stateKey,
    {id: recheckId, results: [...judged.values()], choice, deadline: deadline.value}, 20);
  deadline.addEventListener('change', persist);

  const paintFollowUp = () => {
    const left = [...judged.values()].some((r) => r.rectified === false);
    followUp.hidden = !left;
    clear(followUp,
      h('h2', {}, '仍有问题未整改'),
      h('div', {class: 'stacked'}, h('div', {class: 'choices', role: 'group', 'aria-label': '后续处理'},
        [['deadline', '限期再整改（新的整改期限）'], ['case', '立案查处']].map(([value, label]) => h('button', {
          type: 'button', class: 'choice', dataset: {value}, 'aria-pressed': String(choice === value),
          onclick: () => { choice = value; paintFollowUp(); persist(); },
        }, label)))),
      choice === 'deadline' ? [h('label', {for: 'new-deadline'}, '新的整改期限'), deadline] : h('p', {class: 'small'}, '提交复查后转到立案页面。'));
  };

  const findingBlock = (finding) => {
    const result = judged.get(finding.id);
    const thumbs = h('div', {class: 'thumbs'});
    const paintThumbs = async () => {
      const nodes = [];
      for (const photoId of result.photo_ids) {
        const url = await photoUrl(photoId);
        if (url) {
          nodes.push(h('div', {class: 'thumb'}, h('img', {src: url, alt: '复查照片'}), h('button', {type: 'button', 'aria-label': '删除照片', onclick: async () => {
            result.photo_ids.splice(result.photo_ids.indexOf(photoId), 1);
            await removePhoto(photoId);
            await persist();
            paintThumbs();
          }}, '×')));
        }
      }
      thumbs.replaceChildren(...nodes);
    };
    const input = h('input', {type: 'file', accept: 'image/*', capture: 'environment', multiple: true, 'aria-label': '拍摄复查照片'});
    input.addEventListener('change', async () => {
      for (const file of input.files) result.photo_ids.push(await addPhoto(recheckId, file));
      input.value = '';
      await persist();
      paintThumbs();
    });
    const choices = h('div', {class: 'choices', role: 'group', 'aria-label': '复查结论'});
    const paintChoices = () => choices.replaceChildren(...[[true, '已整改'], [false, '未整改']].map(([value, label]) => h('button', {
      type: 'button', class: 'choice', dataset: {value: value ? 'yes' : 'no'}, 'aria-pressed': String(result.rectified === value),
      onclick: () => { result.rectified = value; block.dataset.answer = value ? 'yes' : 'no'; paintChoices(); paintFollowUp(); persist(); },
    }, label)));
    paintChoices();
    const note = h('textarea', {id: `recheck-note-${finding.id}`, rows: 2, placeholder: '复查情况（可选）'});
    note.value = result.note;
    note.addEventListener('input', () => { result.note = note.value; persist(); });
    const block = h('div', {class: 'item', dataset: {finding: String(finding.id)}},
      h('p', {class: 'item-text'}, h('strong', {}, finding.item ? `${finding.item} ` : ''), finding.description),
      choices, h('label', {for: note.id, class: 'small'}, '说明'), note, thumbs,
      h('label', {class: 'btn secondary file-btn'}, '＋ 复查照片', input));
    if (result.rectified !== null) block.dataset.answer = result.rectified ? 'yes' : 'no';
    paintThumbs();
    return block;
  };

  const submit = async () => {
    const results = [...judged.values()];
    if (results.some((r) => r.rectified === null)) {
      clear(errors, errorList(['请对每个问题给出复查结论（已整改或未整改）。']));
      errors.scrollIntoView({block: 'center'});
      return;
    }
    const left = results.some((r) => !r.rectified);
    if (left && choice === 'deadline' && (!deadline.value || deadline.value <= today)) {
      clear(errors, errorList(['新的整改期限应晚于今天。']));
      return;
    }
    const inspector = {name: user.display_name || user.username, ...(user.badge_no ? {badge_no: user.badge_no} : {})};
    const doc = {
      id: recheckId, checked_on: today, inspectors: [inspector], known_rechecks: (order.rechecks || []).length,
      results: results.map((r) => ({finding_id: r.finding_id, rectified: r.rectified, note: r.note.trim() || null, photo_ids: r.photo_ids})),
      ...(left && choice === 'deadline' ? {new_deadline: deadline.value} : {}),
    };
    const photos = results.flatMap((r) => r.photo_ids).map((photoId) => ({
      id: photoId, target: `recheck:${order.id}`, inspection_id: order.inspection_id, unit_id: order.unit.id,
    }));
    await enqueueEntry({id: recheckId, kind: 'recheck', user_id: user.id, order_id: order.id,
      unit_name: `${order.unit.name}（复查 ${order.number}）`, path: `/api/v1/rectification-orders/${order.id}/rechecks`, doc, photos});
    await setMeta(`recheck-draft:${order.id}`, null);
    await setMeta(stateKey, null);
    await flush({force: true});
    // The task list no longer shows this order as due once the server has the 复查.
    await refreshTasks(user).catch(() => {});
    if (left && choice === 'case') return go(`/case/new?unit=${order.unit.id}&inspection=${order.inspection_id}`);
    go('/outbox');
  };

  const closed = order.status === 'closed';
  clear(root,
    h('h1', {}, '整改通知', h('span', {class: 'sub'}, order.unit.name)),
    orderCard(order, {link: false}),
    h('a', {class: 'link', href: `#/unit/${order.unit.id}`}, '单位档案'),
    h('a', {class: 'link', href: `#/inspection/${order.inspection_id}`}, '原检查记录'),
    (order.rechecks || []).length ? [h('h2', {}, '复查记录'), h('ul', {class: 'list small'}, order.rechecks.map((r) => h('li', {class: 'pad'},
      `${dayLabel(r.checked_on)} · ${r.all_rectified ? '全部整改' : '仍有问题未整改'}`,
      r.new_deadline ? ` · 新期限 ${dayLabel(r.new_deadline)}` : '', r.note ? ` · ${r.note}` : '')))] : null,
    closed ? h('p', {class: 'card ok'}, '该整改通知已复查合格并销号。') : pending ? h('p', {class: 'card warn'}, '本次复查已在待发送列表中，联网后自动发送。', h('a', {class: 'link', href: '#/outbox'}, '查看')) : [
      h('h2', {}, '复查'),
      open.length ? h('section', {id: 'recheck'}, open.map(findingBlock)) : h('p', {}, '该通知没有待复查的问题，提交即可销号。'),
      followUp, errors,
      h('button', {class: 'btn block', type: 'button', id: 'submit-recheck', onclick: submit}, '提交复查')],
    h('a', {class: 'btn secondary block', href: '#/tasks'}, '返回'));
  paintFollowUp();
  window.scrollTo(0, 0);
}
