// The outbox: submitted inspections wait here, with their photos, until the server has them.
// Sent as soon as there is a network, retried with backoff on network and server errors;
// a refusal (409, 410, 422, …) is kept with its reason and never retried by itself. Retrying
// is harmless: the API answers a repeat of the same inspection id and body with 200.
//
// Besides new inspections (kind "inspection") it carries corrections (PUT, based on the
// revision shown), voids (DELETE with a reason) and units registered on site (POST /units with
// the phone's client_id). Entries go oldest first, so a unit registered offline reaches the
// server before its inspection, which is then sent with the unit's server id.
import {NetworkError, flattenErrors, messageOf, needsLogin, request, session} from '/static/web/api.js';
import {deleteDraft, draftErrors, saveDraft, toSubmission} from './draft.js';
import {uuid4} from '/static/web/dom.js';
import {addPhoto, getPhoto, removePhotosOf} from './photos.js';
import {all, del, get, getMeta, put, setMeta} from './store.js';

const FIRST_DELAY = 5_000;
const MAX_DELAY = 15 * 60_000;
let running = null;
let timer = null;

function changed() {
  window.dispatchEvent(new CustomEvent('outbox-changed'));
}

export async function entriesOf(user) {
  return (await all('outbox')).filter((e) => e.user_id === user.id)
    .sort((a, b) => b.queued_at.localeCompare(a.queued_at));
}

// Any other write the phone queues (a re-inspection, …): `entry` names its `path`, `doc` and
// `photos` ({id, target, inspection_id, unit_id}); sent in the order queued, exactly once
// (the API answers a repeat of the same id and body with 200).
export async function enqueueEntry(entry) {
  await put('outbox', {status: 'pending', attempts: 0, next_at: 0, message: '', errors: {},
    queued_at: new Date().toISOString(), photos: [], ...entry});
  changed();
}

// Only the latest `keep` sent entries stay on the phone; older ones are read from the server
// (the unit's history).
export async function pruneSent(user, keep = 50) {
  const sent = (await entriesOf(user)).filter((e) => e.status === 'sent');
  for (const entry of sent.slice(keep)) await del('outbox', entry.id);
}

export async function enqueue(draft, definition) {
  const {doc, photos} = toSubmission(draft, definition);
  const {errors, ...snapshot} = draft;
  await put('outbox', {
    id: draft.id, user_id: draft.user_id, unit_name: draft.unit.name, doc, photos, draft: snapshot,
    kind: draft.correction ? 'correction' : 'inspection', unit_client_id: draft.unit.id ? null : draft.unit.client_id,
    status: 'pending', attempts: 0, next_at: 0, message: '', errors: {},
    queued_at: new Date().toISOString(),
  });
  await deleteDraft(draft.id);
  changed();
}

// Another kind of write (a void, a unit registered on site): `{id, kind, unit_name, doc, …}`.
export async function enqueueWrite(user, entry) {
  await enqueueEntry({user_id: user.id, draft: null, ...entry});
}

// The server id of a unit registered on site, once the server has it.
export async function registeredUnitId(clientId) {
  return (await getMeta('registeredUnits', {}))[clientId] ?? null;
}

// Back to a draft (a refused submission, to correct it): the server's errors sit on its fields.
// `asNew` gives it (and its photos) new ids: for an id the server already holds (409) or
// has deleted (410), which can never be sent again under that id.
export async function reopen(id, {asNew = false} = {}) {
  const entry = await get('outbox', id);
  let draft = {...entry.draft, errors: draftErrors(entry.errors || {}, entry.doc)};
  if (asNew) draft = await copyAsNew(draft);
  else if (!Object.keys(draft.errors).length && entry.message) draft.errors = {'': [entry.message]};
  await saveDraft(draft);
  await del('outbox', id);
  if (asNew) await removePhotosOf(id);
  changed();
  return draft;
}

async function copyAsNew(draft) {
  const copy = structuredClone({...draft, id: uuid4(), errors: {}, started_at: new Date().toISOString()});
  const lists = [...Object.values(copy.answers).map((a) => a.photos || []), ...copy.findings.map((f) => f.photos)];
  for (const list of lists) {
    for (let i = 0; i < list.length; i += 1) {
      const photo = await getPhoto(list[i]);
      list[i] = photo ? await addPhoto(copy.id, photo.blob) : null;
    }
    list.splice(0, list.length, ...list.filter(Boolean));
  }
  return copy;
}

export async function discard(id) {
  await del('outbox', id);
  await removePhotosOf(id);
  changed();
}

export function flush({force = false} = {}) {
  running ||= (navigator.locks
    ? navigator.locks.request('fs-outbox', () => drain(force))
    : drain(force)
  ).finally(() => {
    running = null;
    schedule();
  });
  return running;
}

async function drain(force) {
  const user = session()?.user;
  if (!user) return;
  const due = (await entriesOf(user))
    .filter((e) => e.status === 'pending' && (force || e.next_at <= Date.now()))
    .reverse();
  for (const entry of due) {
    const outcome = await send(entry);
    changed();
    if (outcome === 'offline' || outcome === 'login') break;
  }
}

async function send(entry) {
  if (entry.unit_client_id && !entry.doc.unit_id) {
    const unitId = await registeredUnitId(entry.unit_client_id);
    if (unitId === null) { // its unit's registration has not reached the server yet
      entry.message = '等待该单位的现场登记先发送，之后自动发送。';
      await put('outbox', entry);
      return 'waiting';
    }
    entry.doc.unit_id = unitId; // fixed from now on: every retry sends the same body
    await put('outbox', entry);
  }
  entry.attempts += 1;
  entry.last_try_at = new Date().toISOString();
  try {
    if (entry.kind === 'void' || entry.kind === 'unit') return await sendWrite(entry);
    for (const photo of entry.photos) {
      if (photo.sent) continue;
      const answer = await uploadPhoto(entry, photo);
      if (!answer.ok) return settle(entry, answer, '照片上传失败：');
      photo.sent = true;
      await put('outbox', entry);
    }
    const answer = entry.kind === 'correction'
      ? await request(`/api/v1/inspections/${entry.doc.id}`, {method: 'PUT', json: entry.doc})
      : await request(entry.path || '/api/v1/inspections', {method: 'POST', json: entry.doc});
    if (!answer.ok) return settle(entry, answer, '');
    Object.assign(entry, {
      status: 'sent', sent_at: new Date().toISOString(), message: '', errors: {},
      result: answer.data.result ?? answer.data.status, result_label: answer.data.result_label ?? answer.data.status_label,
      warnings: (answer.data.warnings || []).map((w) => w.message),
    });
    await put('outbox', entry);
    await removePhotosOf(entry.id);
    return 'sent';
  } catch (error) {
    if (!(error instanceof NetworkError)) throw error;
    await later(entry, '网络不可用，恢复联网后自动发送。');
    return 'offline';
  }
}

async function sendWrite(entry) {
  const answer = entry.kind === 'void'
    ? await request(`/api/v1/inspections/${entry.target}`, {method: 'DELETE', json: entry.doc})
    : await request('/api/v1/units', {method: 'POST', json: entry.doc});
  if (!answer.ok) return settle(entry, answer, '');
  if (entry.kind === 'unit') {
    const units = await getMeta('registeredUnits', {});
    units[entry.doc.client_id] = answer.data.id;
    await setMeta('registeredUnits', units);
    await put('units', {...answer.data, owner: entry.user_id}); // searchable at once
  }
  Object.assign(entry, {status: 'sent', sent_at: new Date().toISOString(), message: '', errors: {}, warnings: []});
  await put('outbox', entry);
  return 'sent';
}

async function uploadPhoto(entry, photo) {
  const stored = await getPhoto(photo.id);
  if (!stored) return {ok: false, status: 0, data: {message: '照片已不在本机，请返回修改后重新拍摄。'}};
  const form = new FormData();
  form.append('file', stored.blob, stored.name || `${photo.id}.jpg`);
  form.append('id', photo.id);
  // A re-inspection's photos name their order's inspection; an inspection's (or a correction's), the record.
  form.append('inspection_id', photo.inspection_id || entry.doc.id);
  form.append('unit_id', String(photo.unit_id || entry.doc.unit_id));
  form.append('target', photo.target);
  return request('/api/v1/photos', {method: 'POST', form});
}

async function later(entry, message) {
  const delay = Math.min(FIRST_DELAY * 2 ** (entry.attempts - 1), MAX_DELAY);
  entry.next_at = Date.now() + Math.round(delay * (0.8 + Math.random() * 0.4));
  entry.message = message;
  await put('outbox', entry);
}

async function settle(entry, answer, prefix) {
  if (needsLogin(answer)) {
    entry.attempts -= 1; // not the server's fault, nor the network's
    entry.message = '登录已过期，请重新登录，之后自动发送。';
    await put('outbox', entry);
    window.dispatchEvent(new CustomEvent('login-required'));
    return 'login';
  }
  if (answer.status === 429 || answer.status >= 500) {
    await later(entry, `${prefix}${messageOf(answer)}（将自动重试）`);
    return 'retry';
  }
  Object.assign(entry, {
    status: 'rejected', http_status: answer.status, reason: answer.data?.reason || null,
    message: prefix + messageOf(answer), errors: flattenErrors(answer.data?.errors || {}),
  });
  await put('outbox', entry);
  return 'rejected';
}

function schedule() {
  clearTimeout(timer);
  const user = session()?.user;
  if (!user) return;
  entriesOf(user).then((entries) => {
    const next = Math.min(...entries.filter((e) => e.status === 'pending').map((e) => e.next_at));
    if (Number.isFinite(next)) timer = setTimeout(() => flush(), Math.max(1000, next - Date.now()));
  });
}

window.addEventListener('online', () => flush({force: true}));
