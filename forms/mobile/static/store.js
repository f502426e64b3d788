// IndexedDB, promise-shaped: drafts, the outbox, photo blobs, and the offline catalogue
// (units of the inspector's jurisdiction, checklist definitions).

const NAME = 'foodsafety-inspector';
let opening = null;

function open() {
  opening ||= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('drafts', {keyPath: 'id'});
      db.createObjectStore('outbox', {keyPath: 'id'});
      db.createObjectStore('photos', {keyPath: 'id'}).createIndex('owner', 'owner');
      db.createObjectStore('units', {keyPath: 'id'});
      db.createObjectStore('forms', {keyPath: 'key'});
      db.createObjectStore('meta', {keyPath: 'key'});
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

// Opened as soon as the app loads, not when first used: on a slow phone opening the database (and
// creating it, the first time) takes a few hundred milliseconds, which the sync would wait for.
open().catch(() => {}); // a failure is reported to each use

async function run(store, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = work(tx.objectStore(store));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('aborted'));
  });
}

export const get = (store, key) => run(store, 'readonly', (s) => s.get(key));
export const all = (store) => run(store, 'readonly', (s) => s.getAll());
export const keys = (store) => run(store, 'readonly', (s) => s.getAllKeys());
export const put = (store, value) => run(store, 'readwrite', (s) => s.put(value));
export const del = (store, key) => run(store, 'readwrite', (s) => s.delete(key));
export const byOwner = (owner) => run('photos', 'readonly', (s) => s.index('owner').getAll(owner));

export function putAll(store, values) {
  return run(store, 'readwrite', (s) => {
    for (const value of values) s.put(value);
  });
}

export function replaceAll(store, values) {
  return run(store, 'readwrite', (s) => {
    s.clear();
    for (const value of values) s.put(value);
  });
}

export async function getMeta(key, fallback = null) {
  const row = await get('meta', key);
  return row ? row.value : fallback;
}

export const setMeta = (key, value) => put('meta', {key, value});

// Keep `value` under `key` as one of the latest `cap` copies of its kind (`kind`: e.g. the unit
// pages opened lately), so that what is kept for offline use stays bounded.
export async function keepRecent(kind, key, value, cap = 30) {
  await setMeta(key, value);
  const keys = [key, ...(await getMeta(`recent:${kind}`, [])).filter((k) => k !== key)];
  for (const old of keys.slice(cap)) await del('meta', old);
  await setMeta(`recent:${kind}`, keys.slice(0, cap));
}
