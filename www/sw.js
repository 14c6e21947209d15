// The offline copy of the lab: the app shell (index.html, the wasm, its loader, the styles, the
// icons and the sample photos), kept so that a reader who comes back without a network still gets
// every demo whose model the page itself kept in the Cache API (runtime/download.rs).
//
// `cargo xtask finish-site` (trunk's post-build hook) writes BUILD and SHELL below: SHELL is the
// built site's shell files, BUILD a digest of their bytes. A new build therefore changes this
// file, so the browser installs a new worker, which fills its own `shell-<BUILD>` cache and then
// deletes every older shell cache: one build's files never mix with another's.
//
// Only the shell is answered here. Everything else (models, manifests, data) goes to the network
// untouched, where the page's own code checks and caches it: this worker never holds a second
// copy of a model, and never answers a request it did not precache.

const BUILD = '__BUILD__';
const SHELL = [/* __SHELL__ */];

const PREFIX = 'open-model-lab-shell-';
const CACHE = PREFIX + BUILD;
// index.html, under the scope's own URL: what a navigation gets when the network is down.
const PAGE = new URL('./', self.registration.scope).href;
const shellUrls = new Set(SHELL.map((path) => new URL(path, self.registration.scope).href));

self.addEventListener('install', (event) => {
  // `reload`: never fill the cache from a stale HTTP cache entry of an older build.
  const requests = [...shellUrls].map((url) => new Request(url, { cache: 'reload' }));
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(requests))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE).map((name) => caches.delete(name))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate') {
    // The network first, so that an online reader always gets the current build.
    event.respondWith(fetch(request).catch(() => fromShell(PAGE)));
    return;
  }
  const url = new URL(request.url);
  url.search = '';
  url.hash = '';
  if (shellUrls.has(url.href)) {
    // Shell files are this build's own: the cached copy is the right one, online or not.
    event.respondWith(fromShell(url.href).catch(() => fetch(request)));
  }
});

async function fromShell(url) {
  const cache = await caches.open(CACHE);
  const response = await cache.match(url);
  if (!response) throw new Error(`${url} is not in the offline copy`);
  return response;
}
