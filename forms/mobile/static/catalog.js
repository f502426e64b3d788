// What the app keeps for offline use: the checklist definitions with the vocabularies whose
// labels they are shown with, and the units of the inspector's jurisdiction, refreshed whenever
// the app starts online.
import {request} from '/static/web/api.js';
import {VOCABULARY_PATH, Vocabulary} from '/static/web/vocabulary.js';
import {chooseForm} from './rules.js';
import {all, get, getMeta, put, replaceAll, setMeta} from './store.js';

const PAGE = 1000; // the largest page the server gives: each page is a round trip on a slow network

class SyncError extends Error {
  constructor(answer) {
    super(answer.data?.message || `同步失败（${answer.status}）`);
    this.answer = answer;
  }
}

async function fetchJson(path) {
  const answer = await request(path);
  if (!answer.ok) throw new SyncError(answer);
  return answer.data;
}

async function refreshForms() {
  // Small, and its labels may change with any release: fetched every time, beside the forms.
  const vocabulary = fetchJson(VOCABULARY_PATH);
  vocabulary.catch(() => {}); // its failure is reported where it is awaited
  const listed = await fetchJson('/api/v1/forms');
  // A version, once published, never changes: fetch each one once, all of them at the same time.
  await Promise.all(listed.map(async (form) => {
    const key = `${form.id}@${form.version}`;
    if (!(await get('forms', key))) {
      await put('forms', {key, definition: await fetchJson(`/api/v1/forms/${form.id}/${form.version}`)});
    }
  }));
  // The versions in force, with the units each is for: a new inspection's checklist is chosen
  // per unit (kind and licence), offline too.
  await setMeta('formsInForce', listed.filter((form) => form.latest)
    .map((form) => ({key: `${form.id}@${form.version}`, applies_to: form.applies_to})));
  await setMeta('vocabulary', await vocabulary);
}

// A GET that the server answers with 304 when it still holds what the last sync received:
// on a slow network a later open downloads only the pages that changed.
async function fetchRevalidated(path, previous, seen) {
  const kept = previous[path];
  const answer = await request(path, {etag: kept?.etag});
  if (answer.status === 304 && kept) {
    seen[path] = kept;
    return kept.data;
  }
  if (!answer.ok) throw new SyncError(answer);
  if (answer.etag) seen[path] = {etag: answer.etag, data: answer.data};
  return answer.data;
}

async function refreshUnits(user) {
  const units = [];
  const stored = await getMeta('syncPages');
  const previous = stored && stored.user === user.id ? stored.pages : {};
  const seen = {};
  // Units inspected lately in the jurisdiction come right after the inspector's own recent ones:
  // asked for beside the first page of units, not after the last one.
  const recent = fetchRevalidated('/api/v1/inspections?per_page=50', previous, seen);
  recent.catch(() => {}); // its failure is reported where it is awaited
  // Follow the cursor: page numbers stop some way in, and `total` is only counted so far.
  let path = `/api/v1/units?per_page=${PAGE}`;
  let changed = !stored || stored.user !== user.id;
  while (path) {
    const data = await fetchRevalidated(path, previous, seen);
    changed ||= !previous[path] || seen[path] !== previous[path]; // not a 304
    units.push(...data.items);
    path = data.next_cursor && data.items.length
      ? `/api/v1/units?per_page=${PAGE}&cursor=${encodeURIComponent(data.next_cursor)}` : null;
  }
  // Every page as the last sync stored it: the stored list is already this one (rewriting
  // thousands of units costs a slow phone seconds).
  changed ||= Object.keys(previous).filter((p) => p.startsWith('/api/v1/units')).length
    !== Object.keys(seen).filter((p) => p.startsWith('/api/v1/units')).length;
  if (changed) await replaceAll('units', units.map((unit) => ({...unit, owner: user.id})));
  await setMeta('areaRecent', [...new Set((await recent).items.map((i) => i.unit.id))]);
  await setMeta('syncPages', {user: user.id, pages: seen});
  await setMeta('syncedAt', {user: user.id, at: new Date().toISOString(), units: units.length});
}

// What is due (GET /api/v1/tasks): shown offline as of this sync.
export async function refreshTasks(user) {
  await setMeta('tasks', {user: user.id, at: new Date().toISOString(), data: await fetchJson('/api/v1/tasks')});
}

export async function refreshCatalog(user) {
  await Promise.all([refreshForms(), refreshUnits(user), refreshTasks(user)]);
}

export async function cachedTasks(user) {
  const tasks = await getMeta('tasks');
  return tasks && tasks.user === user.id ? tasks : null;
}

export async function syncState(user) {
  const state = await getMeta('syncedAt');
  return state && state.user === user.id ? state : null;
}

export async function definitionFor(formId, version) {
  const row = await get('forms', `${formId}@${version}`);
  return row ? row.definition : null;
}

// The labels to show the definitions with; null until the first sync that fetched them (an app
// updated while offline may still hold only the definitions of an older release).
export async function cachedVocabulary() {
  const terms = await getMeta('vocabulary');
  return terms ? new Vocabulary(terms) : null;
}

// The checklist (`id@version`) a new inspection of `unit` uses, null before the first sync.
export async function formKeyFor(unit) {
  return chooseForm(await getMeta('formsInForce', []), unit);
}

export async function rememberUnit(unitId) {
  const recent = (await getMeta('recentUnits', [])).filter((id) => id !== unitId);
  await setMeta('recentUnits', [unitId, ...recent].slice(0, 20));
}

export async function getUnit(unitId) {
  return get('units', unitId);
}

// Units matching `query` (name, short name, address, licence number or school), the recent ones first.
export async function findUnits(user, query, limit = 40) {
  const units = (await all('units')).filter((unit) => unit.owner === user.id);
  const order = [...(await getMeta('recentUnits', [])), ...(await getMeta('areaRecent', []))];
  const rank = new Map();
  order.forEach((id, index) => rank.has(id) || rank.set(id, index));
  const needle = query.trim().toLowerCase();
  const hits = needle
    ? units.filter((u) => [u.name, u.short_name, u.address, u.licence_no, u.school_name].some((v) => v && v.toLowerCase().includes(needle)))
    : units;
  hits.sort((a, b) => (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity) ||
    a.name.localeCompare(b.name, 'zh-CN'));
  const mine = new Set(await getMeta('recentUnits', []));
  return {total: hits.length, units: hits.slice(0, limit).map((u) => ({...u, recent: mine.has(u.id)}))};
}

// The unit whose licence number is exactly `number` (typed or scanned), from the offline list.
export async function unitByLicence(user, number) {
  const wanted = number.trim().toUpperCase();
  return (await all('units')).find((u) => u.owner === user.id && u.licence_no === wanted) || null;
}
