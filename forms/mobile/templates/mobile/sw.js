// The inspector app's service worker: serves the app shell and its files from a cache named
// by their hash, so the app opens with no network. API calls always go to the network; the
// app keeps the data it needs offline (checklists, units, drafts, outbox) in IndexedDB.
const VERSION = {{ version|tojson }};
const CACHE = `fs-m-${VERSION}`;
const ASSETS = {{ assets|tojson }};

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Files named by their content come from the browser's cache when the page (or an earlier
    // release) has loaded them; the shell and the manifest are revalidated (304 when unchanged).
    await cache.addAll(ASSETS.map((url) => (url.startsWith('/m/assets/') ? url : new Request(url, {cache: 'no-cache'}))));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('fs-m-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/m/')) {
    event.respondWith(fromCache('/m/', request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(fromCache(url.pathname, request));
  }
});

async function fromCache(key, request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(key)) || fetch(request);
}
