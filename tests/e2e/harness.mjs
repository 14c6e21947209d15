// Shared helpers for the end-to-end tests (tests/e2e/*.test.mjs, run with
// `node --test`) and the browser benchmark (bench.mjs).
//
// - serveDist(dir, {isolated, mounts}): static server over trunk's dist/ on 127.0.0.1 (with
//   COOP/COEP when isolated; mounts serve other folders under a prefix)
// - launchBrowser({webgpu, args}): the system Chromium through playwright-core
// - openPage(browser, url, {permissions}): a page that records console errors and requests
//   (watchPage(page) adds the same records to a page of a shared context)
// - artifactsDir / artifactPath(name): where screenshots go (gitignored)
// - withSite(): before/after hooks for a test file's server and browser
// - byId(id), assertNoConsoleErrors(page): selectors and the console check
// - frameRate(page, ms), greyPng(w, h): frames while the page works; a big PNG made in memory
// - speechTopCounts(page, ms): how often each speech class led its live classification
//
// Nothing here downloads a browser: playwright-core drives /usr/bin/chromium
// (override with the CHROMIUM_BIN environment variable).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Repository root. */
export const repoRoot = path.resolve(here, '..', '..');
/** trunk's output folder (`trunk build --release`); E2E_DIST overrides it. */
export const distDir = process.env.E2E_DIST ? path.resolve(process.env.E2E_DIST) : path.join(repoRoot, 'dist');
/** Screenshots and other test outputs; created on demand, gitignored. */
export const artifactsDir = path.join(here, 'artifacts');

/** Path of an artifact file, creating artifactsDir if needed. */
export function artifactPath(name) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  return path.join(artifactsDir, name);
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
  '.woff2': 'font/woff2',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

/** What `serveDist({gzip})` compresses: the page's code and text, not the models' weights. */
const COMPRESSIBLE = new Set(['.html', '.js', '.wasm', '.css', '.json', '.svg', '.txt']);

function mimeOf(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Serve `dir` (default: dist/) over HTTP on 127.0.0.1 with an ephemeral port.
 * A path without an extension that matches no file falls back to index.html
 * (client-side routes); a missing path with an extension is a 404.
 * `isolated`: every response carries COOP same-origin and COEP require-corp, so the page is
 * cross-origin isolated (SharedArrayBuffer, wasm threads). `mounts`: {'/prefix/': folder}, files
 * served under a prefix from another folder (bench --compare's onnxruntime-web and ONNX files).
 * `gzip`: text and wasm files go gzip -9 compressed to a browser that accepts it, as a static
 * host serves them (the benchmark's loads over a throttled network).
 * @returns {Promise<{url: string, close: () => Promise<void>}>} url has no trailing slash.
 */
export async function serveDist(dir = distDir, { isolated = false, mounts = {}, gzip = false } = {}) {
  const compressed = new Map();
  const root = path.resolve(dir);
  const index = path.join(root, 'index.html');
  if (!isFile(index)) {
    throw new Error(`serveDist: ${index} not found (run \`trunk build --release\` first)`);
  }
  const server = http.createServer((req, res) => {
    const send = (status, file) => {
      const headers = { 'Cache-Control': 'no-store' };
      if (isolated) {
        headers['Cross-Origin-Opener-Policy'] = 'same-origin';
        headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
        headers['Cross-Origin-Resource-Policy'] = 'same-origin';
      }
      if (!file) {
        headers['Content-Type'] = 'text/plain; charset=utf-8';
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' || status === 204 ? undefined : `${status}\n`);
        return;
      }
      headers['Content-Type'] = mimeOf(file);
      if (gzip && COMPRESSIBLE.has(path.extname(file)) && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        if (!compressed.has(file)) compressed.set(file, zlib.gzipSync(fs.readFileSync(file), { level: 9 }));
        const body = compressed.get(file);
        headers['Content-Encoding'] = 'gzip';
        headers['Content-Length'] = String(body.length);
        res.writeHead(status, headers);
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      headers['Content-Length'] = String(fs.statSync(file).size);
      res.writeHead(status, headers);
      if (req.method === 'HEAD') {
        res.end();
      } else {
        fs.createReadStream(file).pipe(res);
      }
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(405);
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(400);
    }
    for (const [prefix, folder] of Object.entries(mounts)) {
      if (!pathname.startsWith(prefix)) continue;
      const base = path.resolve(folder);
      const mounted = path.resolve(base, '.' + path.posix.normalize(`/${pathname.slice(prefix.length)}`));
      if (!mounted.startsWith(base + path.sep)) return send(403);
      return isFile(mounted) ? send(200, mounted) : send(404);
    }
    const file = path.resolve(root, '.' + path.posix.normalize(pathname));
    if (file !== root && !file.startsWith(root + path.sep)) {
      return send(403);
    }
    if (isFile(file)) return send(200, file);
    if (isFile(path.join(file, 'index.html'))) return send(200, path.join(file, 'index.html'));
    if (path.extname(pathname) === '') return send(200, index);
    // Chromium asks for a favicon on every load; without one in dist/ that
    // 404 would show up in page.consoleErrors.
    if (pathname === '/favicon.ico') return send(204);
    return send(404);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const BASE_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-angle=swiftshader',
  '--use-vulkan=swiftshader',
  '--enable-features=Vulkan',
];

/** Path of the Chromium binary used by the tests. */
export const chromiumPath = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/**
 * Launch the system Chromium headless. With `webgpu: true`, WebGPU is enabled
 * on SwiftShader's software Vulkan (no GPU needed); `args` adds switches (the
 * speech test's fake microphone).
 */
export async function launchBrowser({ webgpu = false, args = [] } = {}) {
  if (!isFile(chromiumPath)) {
    throw new Error(`launchBrowser: no Chromium at ${chromiumPath} (run \`cargo xtask test --prereqs-only\`)`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [...BASE_ARGS, ...(webgpu ? WEBGPU_ARGS : []), ...args],
  });
}

/**
 * A new page (in its own browser context, holding `permissions` such as 'microphone'; with
 * `bypassCSP`, one that ignores the site's Content-Security-Policy; with `serviceWorkers: 'block'`,
 * one where the offline copy answers nothing, so that page.route sees every request) that records:
 * - page.consoleErrors: console.error messages and uncaught page errors
 * - page.requests: the URL of every request the page made
 * When `url` is given, the page is navigated there before returning.
 */
export async function openPage(browser, url, { viewport = { width: 1280, height: 800 }, permissions = [], bypassCSP = false, serviceWorkers = 'allow' } = {}) {
  const page = watchPage(await browser.newPage({ viewport, permissions, bypassCSP, serviceWorkers }));
  if (url) await page.goto(url);
  return page;
}

/** Adds openPage's records (consoleErrors, requests) to a page made elsewhere (a shared context). */
export function watchPage(page) {
  page.consoleErrors = [];
  page.requests = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.consoleErrors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.consoleErrors.push(`pageerror: ${err.message}`));
  page.on('request', (req) => page.requests.push(req.url()));
  return page;
}

/**
 * Animation frames the page managed over `ms` while it works, measured inside the page: the mean
 * rate, and the longest gap between two frames (a frozen page shows as a gap of seconds).
 */
export async function frameRate(page, ms = 2000) {
  return page.evaluate((ms) => new Promise((resolve) => {
    let frames = 0;
    let longestGapMs = 0;
    const start = performance.now();
    let last = start;
    const tick = (now) => {
      frames += 1;
      longestGapMs = Math.max(longestGapMs, now - last);
      last = now;
      const elapsed = now - start;
      if (elapsed < ms) requestAnimationFrame(tick);
      else resolve({ fps: (frames * 1000) / elapsed, longestGapMs });
    };
    requestAnimationFrame(tick);
  }), ms);
}

/**
 * A `width`×`height` 8-bit grey PNG, left half light and right half dark, built in memory: a
 * photo larger than any page should decode at full size.
 */
export function greyPng(width, height) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth; colour type 0 (grey), deflate, no filter method, no interlace
  const row = Buffer.alloc(1 + width, 40);
  row[0] = 0; // filter: none
  row.fill(220, 1, 1 + (width >> 1));
  const rows = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y += 1) row.copy(rows, y * row.length);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The first bytes of a phone's HEIC photo: an ISO-BMFF `ftyp` box whose brands say HEIC, then
 * the start of the next box. Enough for the page to name the format it does not decode.
 */
export function heicHeader() {
  return Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from('ftypheic', 'latin1'),
    Buffer.alloc(4), // minor version
    Buffer.from('mif1heic', 'latin1'),
    Buffer.from([0, 0, 0, 0x20]),
    Buffer.from('meta', 'latin1'),
    Buffer.alloc(28),
  ]);
}

/** A small real lossy WebP (64×32, red left half, blue right half), lab-core's test fixture. */
export const lossyWebp = () => fs.readFileSync(path.join(repoRoot, 'crates/lab-core/tests/fixtures/photo/lossy.webp'));

/** The selector of an element by its data-testid. */
export const byId = (id) => `[data-testid="${id}"]`;

/** Waits until the page runs on `backend` (the shell's status line names it). */
export async function waitForBackend(page, backend) {
  await page.waitForSelector(`${byId('backend-status')}[data-backend="${backend}"]`, { timeout: 60_000 });
}

/** Waits until the offline copy (www/sw.js) is installed and active for this page's origin. */
export async function offlineCopyReady(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(async () => (await caches.keys()).some((n) => n.startsWith('open-model-lab-shell-')), null, { timeout: 60_000 });
}

/**
 * The page's "where the time went" table of its last answer (src/widgets/op_profile.rs): the
 * per-op profile of a pass on the CPU, `{total, ops: [{op, ms, calls}]}` with the unmarked rest
 * as op `other`, and derived from them `calls` (op → calls) and `marked` (the ms of every op but
 * `other`); null where the page shows none (WebGPU).
 */
export async function readProfile(page) {
  const profile = await page.evaluate(() => {
    const table = document.querySelector('[data-testid="op-profile"]');
    if (!table) return null;
    const ops = [...table.querySelectorAll('tr[data-op]')]
      .map((row) => ({ op: row.dataset.op, ms: Number(row.dataset.ms), calls: Number(row.dataset.calls ?? 0) }));
    return { total: Number(table.dataset.totalMs), ops };
  });
  if (!profile) return null;
  const calls = Object.fromEntries(profile.ops.map(({ op, calls }) => [op, calls]));
  const marked = profile.ops.filter(({ op }) => op !== 'other').reduce((sum, { ms }) => sum + ms, 0);
  return { ...profile, calls, marked };
}

/** A profile as `; op share% (ms), …` by time, largest first; empty without one. */
export function describeProfile(profile) {
  if (!profile) return '';
  const ops = [...profile.ops].sort((a, b) => b.ms - a.ms)
    .map(({ op, ms }) => `${op} ${((100 * ms) / profile.total).toFixed(0)}% (${ms.toFixed(1)})`);
  return ` [per op, ms of a ${profile.total.toFixed(1)} ms pass: ${ops.join(', ')}]`;
}

/** The ranked classes shown, as {class, probability}. */
export async function topClasses(page, id = 'top5') {
  return page.$$eval(`${byId(id)} li`, (items) =>
    items.map((li) => ({ class: Number(li.dataset.class), probability: Number(li.dataset.probability), text: li.textContent })),
  );
}

/** Waits until the classifier shows a settled top 5, and answers it (topClasses). */
export async function classified(page) {
  await page.waitForFunction(
    () => document.querySelector('[data-testid="classification"]')?.dataset.busy === 'false'
      && document.querySelectorAll('[data-testid="top5"] li').length === 5,
    null,
    { timeout: 120_000 },
  );
  return topClasses(page);
}

/** Fails the test with every console error and uncaught page error `openPage` recorded. */
export function assertNoConsoleErrors(page) {
  assert.deepEqual(page.consoleErrors, [], `console errors: ${page.consoleErrors.join('\n')}`);
}

/**
 * Registers node:test hooks that serve dist/ and launch Chromium before the file's tests and
 * close both after them. Returns an object whose `server` and `browser` are set once `before` ran.
 */
export function withSite({ webgpu = false, args = [] } = {}) {
  const site = { server: null, browser: null };
  before(async () => {
    site.server = await serveDist();
    site.browser = await launchBrowser({ webgpu, args });
  });
  after(async () => {
    await site.browser?.close();
    await site.server?.close();
  });
  return site;
}

/**
 * The speech demo's live classification over `ms`: how often each of its two classes was the
 * most probable, counting each new pair of probabilities once.
 */
export async function speechTopCounts(page, ms) {
  return page.evaluate((ms) => new Promise((resolve) => {
    const counts = [0, 0];
    let last = null;
    const timer = setInterval(() => {
      const p = [0, 1].map((i) => Number(document.querySelector(`[data-testid="speech-probability-${i}"]`)?.dataset.p ?? NaN));
      const key = p.join();
      if (p.every(Number.isFinite) && key !== last) {
        counts[p[0] >= p[1] ? 0 : 1] += 1;
        last = key;
      }
    }, 50);
    setTimeout(() => { clearInterval(timer); resolve(counts); }, ms);
  }), ms);
}
