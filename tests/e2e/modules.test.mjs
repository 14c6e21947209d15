// End to end: the site's two modules (src/runtime/modules.rs). A page of the 1.x demos, and the
// tour, load the first module (CPU (flex), the 1.x demos) and never fetch the full one; a page
// that names a 2.x demo, WebGPU or ndarray loads the full module; picking another backend on a
// first-module page moves it to the full module; the offline copy keeps the full module only
// once a page has fetched it, and a page that needs it offline says so.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, distDir, offlineCopyReady, openPage, serveDist, waitForBackend, watchPage, withSite } from './harness.mjs';

const site = withSite();

const wasmFiles = fs.readdirSync(distDir).filter((f) => f.endsWith('_bg.wasm'));
const FIRST = wasmFiles.find((f) => f.startsWith('open-model-lab-first-'));
const FULL = wasmFiles.find((f) => f !== FIRST);

/** The module the page's loader picked, and the wasm files the page requested. */
async function loaded(page) {
  return {
    module: await page.evaluate(() => document.documentElement.dataset.labModule),
    wasm: [...new Set(page.requests.map((url) => new URL(url).pathname.slice(1)).filter((name) => name.endsWith('.wasm')))],
  };
}

describe("the site's two modules", () => {
  test('the build has both, the first one smaller', () => {
    assert.equal(wasmFiles.length, 2, `two wasm files in dist: ${wasmFiles}`);
    assert.ok(FIRST && FULL, `a first and a full module: ${wasmFiles}`);
    const size = (f) => fs.statSync(`${distDir}/${f}`).size;
    assert.ok(size(FIRST) < 0.6 * size(FULL), `first ${size(FIRST)} B against full ${size(FULL)} B`);
  });

  test('each address loads the module it needs and only that one', async () => {
    const cases = [
      ['?demo=playground&lang=en', 'first', 'playground'],
      ['?demo=augment&lang=en', 'first', 'augment'],
      ['?demo=linear&backend=flex&lang=en', 'first', 'linear'],
      ['?demo=classify&backend=flex&lang=en', 'full', 'classify'],
      ['?demo=text&backend=flex&lang=en', 'full', 'text'],
      ['?demo=playground&backend=ndarray&lang=en', 'full', 'playground'],
    ];
    for (const [query, module, demo] of cases) {
      const page = await openPage(site.browser, `${site.server.url}/${query}`, { serviceWorkers: 'block' });
      await page.waitForSelector(`main.demo[data-demo="${demo}"]`, { timeout: 60_000 });
      await page.waitForSelector(`${byId('backend-status')}[data-backend]:not([data-backend=""])`, { timeout: 60_000 });
      const got = await loaded(page);
      assert.equal(got.module, module, `${query}: the ${module} module`);
      assert.deepEqual(got.wasm, [module === 'first' ? FIRST : FULL], `${query} fetched only its own wasm`);
      assert.equal(await page.$(byId('full-module-needed')), null, `${query}: the demo itself, not a link to it`);
      assertNoConsoleErrors(page);
      await page.close();
    }
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
    assert.deepEqual((await cached()).sort(), [FIRST, FULL].sort());
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
