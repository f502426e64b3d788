// What the app keeps for offline use: the checklist definitions with the vocabularies whose
// labels they are shown with, and the units of the inspector's jurisdiction, refreshed whenever
// the app starts online.
import {request} from '/static/web/api.js';
import {VOCABULARY_PATH, Vocabulary} from '/static/web/vocabulary.js';
import {chooseForm} from './rules.js';
import {all, get, getMeta, keys, putAll, replaceAll, setMeta} from './store.js';

const PAGE = 1000; // the largest page the server gives: each page is a round trip on a slow network

class SyncError extends Error {
  constructor(answer) {
    super(answer.data?.message || `同步失败（${answer.status}）`);
    this.answer = answer;
  }
}

// A GET asked with the ETag of what the phone received last time (kept in meta under `key`), so
// that the server answers 304, with no body, when nothing changed: {changed, data, save}, where
// `save(extra)` keeps the new ETag (and `extra`) once what came has been stored, and `data` is,
// when nothing changed, what was kept with `keep` (else null: the caller holds it elsewhere).
// `holds(kept)` says whether the caller still holds it; if not, a 304 is not taken for an answer
// and the request is made again without the ETag (checked after the answer, so that the request
// does not wait for it).
async function fetchChanged(path, key, {keep = false, holds = async () => true} = {}) {
  const kept = await getMeta(key);
  const answer = await request(path, {etag: kept?.etag});
  if (answer.status === 304 && kept) {
    if (await holds(kept)) return {changed: false, data: kept.data ?? null, save: async () => {}};
    await setMeta(key, null);
    return fetchChanged(path, key, {keep, holds});
  }
  if (!answer.ok) throw new SyncError(answer);
  return {changed: true, data: answer.data,
    save: (extra = {}) => setMeta(key, {etag: answer.etag, ...(keep ? {data: answer.data} : {}), ...extra})};
}

async function refreshForms() {
  // The labels may change with any release: asked for every time, beside the forms.
  const vocabulary = fetchChanged(VOCABULARY_PATH, 'vocabularySync', {holds: async () => Boolean(await getMeta('vocabulary'))});
  vocabulary.catch(() => {}); // its failure is reported where it is awaited
  // Every version, each in full, in one request (one round trip on a slow network); unchanged
  // since the last sync, it is answered with 304 and nothing is downloaded.
  const listed = await fetchChanged('/api/v1/forms', 'formsSync', {holds: async (kept) => {
    const held = new Set(await keys('forms'));
    return (kept.keys || []).every((key) => held.has(key)) && Boolean(await getMeta('formsInForce'));
  }});
  if (listed.changed) {
    const forms = listed.data.map((form) => ({key: `${form.id}@${form.version}`, definition: form.definition}));
    await putAll('forms', forms);
    // The versions in force, with the units each is for: a new inspection's checklist is chosen
    // per unit (kind and licence), offline too.
    await setMeta('formsInForce', listed.data.filter((form) => form.latest)
      .map((form) => ({key: `${form.id}@${form.version}`, applies_to: form.applies_to})));
    await listed.save({keys: forms.map((form) => form.key)});
  }
  const terms = await vocabulary;
  if (terms.changed) {
    await setMeta('vocabulary', terms.data);
    await terms.save();
  }
  return listed.changed || terms.changed;
}

async function refreshUnits(user) {
  const stored = await getMeta('syncPages');
  const previous = stored?.user === user.id && stored.version === 2 ? stored.pages : {};
  // Units inspected lately in the jurisdiction come right after the inspector's own recent ones:
  // asked for beside the first page of units, not after the last one.
  const recent = fetchChanged('/api/v1/inspections?per_page=50', `areaRecentSync:${user.id}`, {keep: true});
  recent.catch(() => {}); // its failure is reported where it is awaited
  // Follow the cursor: page numbers stop some way in, and `total` is only counted so far. Each
  // page is asked for with the ETag it had at the last sync: a 304 (nothing changed) carries no
  // body, and the phone keeps only the ids of that page's units, which it already holds.
  const pages = {};
  const fresh = new Map(); // the units of the pages that changed
  let path = `/api/v1/units?per_page=${PAGE}`;
  let changed = !stored || stored.user !== user.id;
  while (path) {
    const kept = previous[path];
    const answer = await request(path, {etag: kept?.etag});
    if (answer.status === 304 && kept) {
      pages[path] = kept;
    } else {
      if (!answer.ok) throw new SyncError(answer);
      const {items, next_cursor: cursor} = answer.data;
      items.forEach((unit) => fresh.set(unit.id, unit));
      pages[path] = {etag: answer.etag, ids: items.map((unit) => unit.id),
        next: cursor && items.length ? `/api/v1/units?per_page=${PAGE}&cursor=${encodeURIComponent(cursor)}` : null};
      changed = true;
    }
    path = pages[path].next;
  }
  changed ||= Object.keys(previous).length !== Object.keys(pages).length;
  const ids = Object.values(pages).flatMap((page) => page.ids);
  // Every page as the last sync stored it: the stored list is already this one (rewriting
  // thousands of units costs a slow phone seconds).
  if (changed) {
    const held = new Map((await all('units')).filter((unit) => unit.owner === user.id).map((unit) => [unit.id, unit]));
    const units = ids.map((id) => fresh.get(id) || held.get(id));
    if (units.some((unit) => !unit)) { // a page said unchanged, but its units are not on the phone
      await setMeta('syncPages', null);
      return refreshUnits(user);
    }
    await replaceAll('units', units.map((unit) => ({...unit, owner: user.id})));
    await setMeta('syncPages', {user: user.id, version: 2, pages});
  }
  const area = await recent;
  await setMeta('areaRecent', [...new Set(area.data.items.map((i) => i.unit.id))]);
  await area.save();
  await setMeta('syncedAt', {user: user.id, at: new Date().toISOString(), units: ids.length});
  return changed || area.changed;
}

// What is due (GET /api/v1/tasks): shown offline as of this sync (a 304 when it has not changed).
export async function refreshTasks(user) {
  const kept = await cachedTasks(user);
  const answer = await request('/api/v1/tasks', {etag: kept?.etag});
  let {etag, data} = kept || {};
  const changed = answer.status !== 304 || !kept;
  if (changed) {
    if (!answer.ok) throw new SyncError(answer);
    ({etag, data} = answer);
  }
  await setMeta('tasks', {user: user.id, at: new Date().toISOString(), etag, data});
  return changed;
}

// Whether anything the phone holds changed (false when every answer was a 304).
export async function refreshCatalog(user) {
  return (await Promise.all([refreshForms(), refreshUnits(user), refreshTasks(user)])).some(Boolean);
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
