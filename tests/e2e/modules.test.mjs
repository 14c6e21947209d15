// End to end: the site's modules (src/runtime/modules.rs, xtask/src/modules.rs). A page of the
// 1.x demos, and the tour, load the first module (CPU (flex), the 1.x demos) and never fetch the
// full one; a page that names a 2.x demo, WebGPU or ndarray loads the full module, in Chromium
// its relaxed-SIMD build, and with `simd=simd128` the simd128 one (that build with its relaxed
// instructions lowered, xtask/src/simd128.rs), which a V8 without relaxed SIMD compiles and whose
// answers the relaxed one matches; picking another backend on a first-module page moves it to
// the full module; the
// offline copy keeps the full module only once a page has fetched it, and a page that needs it
// offline says so.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, classified, distDir, offlineCopyReady, openPage, repoRoot, serveDist, waitForBackend, watchPage, withSite } from './harness.mjs';

const site = withSite();

const wasmFiles = fs.readdirSync(distDir).filter((f) => f.endsWith('_bg.wasm'));
const FIRST = wasmFiles.find((f) => f.startsWith('open-model-lab-first-'));
const FULL = wasmFiles.find((f) => f.startsWith('open-model-lab-simd128-'));
// Trunk's own: the full module built with relaxed SIMD.
const RELAXED = wasmFiles.find((f) => f !== FIRST && f !== FULL);

/** The module the page's loader picked, its SIMD, and the wasm files the page requested. */
async function loaded(page) {
  return {
    module: await page.evaluate(() => document.documentElement.dataset.labModule),
    simd: await page.evaluate(() => document.documentElement.dataset.labSimd),
    wasm: [...new Set(page.requests.map((url) => new URL(url).pathname.slice(1)).filter((name) => name.endsWith('.wasm')))],
  };
}

describe("the site's modules", () => {
  test('the build has the three, the first one smaller', () => {
    assert.equal(wasmFiles.length, 3, `three wasm files in dist: ${wasmFiles}`);
    assert.ok(FIRST && FULL && RELAXED, `a first, a simd128 and a relaxed module: ${wasmFiles}`);
    const size = (f) => fs.statSync(`${distDir}/${f}`).size;
    assert.ok(size(FIRST) < 0.6 * size(FULL), `first ${size(FIRST)} B against full ${size(FULL)} B`);
  });

  test('each address loads the module it needs and only that one', async () => {
    // Chromium has relaxed SIMD, so a full-module page gets the relaxed build unless it asks.
    const cases = [
      ['?demo=playground&lang=en', 'first', 'playground', FIRST],
      ['?demo=augment&lang=en', 'first', 'augment', FIRST],
      ['?demo=linear&backend=flex&lang=en', 'first', 'linear', FIRST],
      ['?demo=classify&backend=flex&lang=en', 'full', 'classify', RELAXED],
      ['?demo=text&backend=flex&lang=en', 'full', 'text', RELAXED],
      ['?demo=playground&backend=ndarray&lang=en', 'full', 'playground', RELAXED],
      ['?demo=text&backend=flex&lang=en&simd=simd128', 'full', 'text', FULL],
    ];
    for (const [query, module, demo, wasm] of cases) {
      const page = await openPage(site.browser, `${site.server.url}/${query}`, { serviceWorkers: 'block' });
      await page.waitForSelector(`main.demo[data-demo="${demo}"]`, { timeout: 60_000 });
      await page.waitForSelector(`${byId('backend-status')}[data-backend]:not([data-backend=""])`, { timeout: 60_000 });
      const got = await loaded(page);
      assert.equal(got.module, module, `${query}: the ${module} module`);
      assert.equal(got.simd, wasm === RELAXED ? 'relaxed' : 'simd128', `${query}: its SIMD named`);
      assert.deepEqual(got.wasm, [wasm], `${query} fetched only its own wasm`);
      assert.equal(await page.$(byId('full-module-needed')), null, `${query}: the demo itself, not a link to it`);
      assertNoConsoleErrors(page);
      await page.close();
    }
  });

  test('the simd128 module compiles where relaxed SIMD is missing, the relaxed one does not', async () => {
    // Chromium has relaxed SIMD and no longer takes a switch to turn it off; the V8 of Debian's
    // Node 20, which runs these tests, lacks it, as a browser without relaxed SIMD does.
    const bytes = (f) => fs.readFileSync(`${distDir}/${f}`);
    assert.equal(WebAssembly.validate(bytes(RELAXED)), false, `this Node (${process.version}) has relaxed SIMD, so it cannot stand for a browser without it`);
    assert.ok(WebAssembly.validate(bytes(FULL)), `${FULL} needs more than simd128`);
    await WebAssembly.compile(bytes(FULL));
  });

  test('the relaxed module answers as the simd128 one: the text demo\'s sentiment, the classifier\'s top 5', async () => {
    // Only the lab's CPU kernels differ (a fused multiply-add for a multiply and an add), so the
    // answers agree to rounding; a wrong fused kernel, or a wrong lowering of it, would move them
    // far more.
    const answers = {};
    for (const simd of ['simd128', 'relaxed']) {
      const ask = simd === 'simd128' ? '&simd=simd128' : '';
      const page = await openPage(site.browser, `${site.server.url}/?demo=text&backend=flex&lang=en${ask}`, { serviceWorkers: 'block' });
      await page.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 180_000 });
      await page.waitForSelector(byId('sentiment'), { timeout: 60_000 });
      assert.equal((await loaded(page)).simd, simd);
      const text = await page.$eval(byId('sentiment'), (el) => ({ label: el.dataset.label, probability: Number(el.dataset.probability) }));
      await page.goto(`${site.server.url}/?demo=classify&backend=flex&lang=en${ask}`);
      await page.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 180_000 });
      assert.equal((await loaded(page)).simd, simd);
      await page.setInputFiles(byId('photo-file'), path.join(repoRoot, 'www', 'assets', 'samples', 'chelsea.png'));
      const top5 = (await classified(page)).map((c) => [c.class, c.probability]);
      answers[simd] = { text, top5 };
      assertNoConsoleErrors(page);
      await page.close();
    }
    const { simd128, relaxed } = answers;
    assert.equal(relaxed.text.label, simd128.text.label);
    assert.ok(Math.abs(relaxed.text.probability - simd128.text.probability) < 1e-4, JSON.stringify(answers));
    assert.deepEqual(relaxed.top5.map(([c]) => c), simd128.top5.map(([c]) => c), JSON.stringify(answers));
    const worst = Math.max(...relaxed.top5.map(([, p], i) => Math.abs(p - simd128.top5[i][1])));
    assert.ok(worst < 1e-4, `top-5 probabilities within ${worst}: ${JSON.stringify(answers)}`);
  });

  test('the first module trains on flex, says why, and moves to the full module for another backend', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=playground&lang=en`);
    await waitForBackend(page, 'flex');
    assert.equal((await loaded(page)).module, 'first');
    assert.match(await page.textContent(byId('backend-status')), /small module, which has CPU \(flex\) only/);
    await page.click(byId('step'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) >= 1);

    await page.selectOption(byId('backend-select'), 'ndarray');
    await page.waitForFunction(() => document.documentElement.dataset.labModule === 'full', null, { timeout: 60_000 });
    await waitForBackend(page, 'ndarray');
    assert.equal(new URL(page.url()).searchParams.get('backend'), 'ndarray', 'the address names the choice');
    assert.match(await page.textContent(byId('backend-status')), /your choice/);
    await page.click(byId('step'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) >= 1);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('a demo the first module lacks, should the loader send it there, links to the full module', async () => {
    // A loader whose list forgot the classifier (its policy hash then differs: CSP bypassed).
    const page = await openPage(site.browser, undefined, { bypassCSP: true });
    await page.route((url) => url.pathname === '/', async (route) => {
      const response = await route.fetch();
      const html = (await response.text()).replace("const FULL_DEMOS = ['text', 'classify', ", "const FULL_DEMOS = ['text', ");
      assert.ok(!html.includes("'classify'"), 'the classifier left out of the loader');
      await route.fulfill({ response, body: html });
    });
    await page.goto(`${site.server.url}/?demo=classify&backend=flex&lang=en`);
    await page.waitForSelector(byId('full-module-needed'), { timeout: 60_000 });
    assert.equal((await loaded(page)).module, 'first');
    assert.match(await page.textContent(byId('full-module-needed')), /full module/);
    // The link names `module=full`, which the loader honours whatever its lists say.
    await page.click(`${byId('full-module-needed')} a`);
    await page.waitForSelector('main.demo[data-demo="classify"] [data-testid="model-status"]', { timeout: 60_000 });
    assert.equal((await loaded(page)).module, 'full');
    assert.equal(new URL(page.url()).searchParams.get('module'), 'full');
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('the offline copy keeps the full module only once a page fetched it', async () => {
    const context = await site.browser.newContext();
    const page = await context.newPage();
    const cached = () => page.evaluate(async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith('open-model-lab-shell-'));
      const cache = await caches.open(names[0]);
      return (await cache.keys()).map((r) => new URL(r.url).pathname.slice(1)).filter((name) => name.endsWith('.wasm'));
    });
    await page.goto(`${site.server.url}/?demo=playground&lang=en`);
    await waitForBackend(page, 'flex');
    await offlineCopyReady(page);
    assert.deepEqual(await cached(), [FIRST], 'a reader of the 1.x demos keeps the first module alone');

    // Now under the worker's control, a 2.x demo's page fetches the full module through it.
    await page.goto(`${site.server.url}/?demo=classify&backend=flex&lang=en`);
    await waitForBackend(page, 'flex');
    await page.waitForFunction(async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith('open-model-lab-shell-'));
      const keys = await (await caches.open(names[0])).keys();
      return keys.filter((r) => r.url.endsWith('.wasm')).length === 2;
    }, null, { timeout: 60_000 });
    assert.deepEqual((await cached()).sort(), [FIRST, RELAXED].sort(), 'the full module the page fetched, its relaxed build');
    await context.close();
  });

  test('offline, a 2.x demo whose module this device never fetched says so; the 1.x demos open', async () => {
    // A server of its own, closed for the network cut: a context's offline mode does not reach
    // the service worker's own fetches.
    const server = await serveDist();
    const context = await site.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/?demo=playground&lang=en`);
      await waitForBackend(page, 'flex');
      await offlineCopyReady(page);
      await server.close();
      await context.setOffline(true);
      const offline = watchPage(await context.newPage());
      await offline.goto(`${server.url}/?demo=classify&backend=flex&lang=en`);
      await offline.waitForSelector('#loading[data-state="failed"][role="alert"]', { timeout: 60_000 });
      assert.match(await offline.textContent('#loading'), /无法加载.*could not be loaded .*Offline, only the demos opened on this device before work/);
      await offline.goto(`${server.url}/?demo=linear&lang=en`);
      await offline.waitForSelector('main.demo[data-demo="linear"]', { timeout: 60_000 });
    } finally {
      await context.close();
    }
  });
});
