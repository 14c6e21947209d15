// The offline copy of the lab: the app shell (index.html, the first module's wasm and glue, the
// styles, the icons and the sample photos), and the relaxed or simd128 module once the page has
// loaded it, kept so that a reader who comes back without a network still gets every demo whose
// model the page itself kept in the Cache API (runtime/download.rs).
//
// `cargo xtask finish-site` (trunk's post-build hook) writes BUILD, SHELL and LATER below: SHELL
// is the built site's shell files, LATER the relaxed and simd128 modules', BUILD a digest of both's
// bytes. A new build therefore changes this file, so the browser installs a new worker, which
// fills its own `shell-<BUILD>` cache and then deletes every older shell cache: one build's files
// never mix with another's.
//
// Only those files are answered here. Everything else (models, manifests, data) goes to the
// network untouched, where the page's own code checks and caches it: this worker never holds a
// second copy of a model, and never answers a request that is not one of its own files.

const BUILD = '__BUILD__';
const SHELL = [/* __SHELL__ */];
// The full module's files, relaxed and simd128 (xtask/src/modules.rs): each kept
// once the page has fetched it, never fetched for the copy alone, so that a reader of the 1.x
// demos does not download the models' code in the background.
const LATER = [/* __LATER__ */];

const PREFIX = 'open-model-lab-shell-';
const CACHE = PREFIX + BUILD;
// A listed path as the URL a request names.
const scoped = (path) => new URL(path, self.registration.scope).href;
// index.html, under the scope's own URL: what a navigation gets when the network is down.
const PAGE = scoped('./');
const shellUrls = new Set(SHELL.map(scoped));
const laterUrls = new Set(LATER.map(scoped));

self.addEventListener('install', (event) => {
  // Trunk names the page's wasm, loader and stylesheet by their content's hash (a u64 in hex,
  // without leading zeros: 1 to 16 digits): the copy the page has just downloaded is the right
  // one, so the HTTP cache may serve it and the first visit does not download the wasm twice. Every other file (index.html, the lab's worker, which
  // trunk cannot hash, the icons) is revalidated, so that an older build's copy in the HTTP
  // cache never fills this build's cache.
  const hashed = /^[^/]+-[0-9a-f]{1,16}(_bg\.wasm|\.js|\.css)$/;
  const requests = SHELL.map((path) => new Request(scoped(path), {
    cache: hashed.test(path) ? 'default' : 'no-cache',
  }));
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(requests).then(() => keepFetched(cache)))
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
  } else if (laterUrls.has(url.href)) {
    event.respondWith(fromShell(url.href).catch(() => fetchAndKeep(url.href, request)));
  }
});

// The later modules' files that the page fetched before this worker controlled it (a first visit
// that opened a 2.x demo) are in the HTTP cache: copied from there, without the network.
function keepFetched(cache) {
  return Promise.all(LATER.map(async (path) => {
    const url = scoped(path);
    try {
      const response = await fetch(url, { cache: 'only-if-cached', mode: 'same-origin' });
      if (response.ok) await cache.put(url, response);
    } catch {
      // Not fetched yet: kept when the page first asks for it.
    }
  }));
}

async function fetchAndKeep(url, request) {
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(url, response.clone());
  }
  return response;
}

async function fromShell(url) {
  const cache = await caches.open(CACHE);
  const response = await cache.match(url);
  if (!response) throw new Error(`${url} is not in the offline copy`);
  return response;
}
