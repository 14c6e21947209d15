// End to end: a reader who comes back without a network. After one visit, the service worker
// (www/sw.js) holds the app shell and the page holds the models it loaded; with the server gone
// and the browser offline, the lab opens, every demo whose model or data was kept works, and one
// whose data was never fetched says so. The "stored on this device" panel lists what is kept and
// deletes it. A new build replaces the offline copy rather than adding to it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, distDir, launchBrowser, offlineCopyReady, serveDist, watchPage } from './harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const READY = `${byId('model-status')}[data-state="ready"]`;

async function classifyCoffee(page) {
  await page.click(byId('sample-coffee.png'));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="top5"] li').length === 5, null, { timeout: 60_000 });
  return page.locator(`${byId('top5')} li`).first().textContent();
}

async function keptFolders(page) {
  const panel = page.locator(byId('kept-panel'));
  if (!(await panel.evaluate((details) => details.open))) await panel.locator('summary').click();
  await page.waitForSelector(`${byId('kept-shell')}[data-state="kept"]`);
  return page.locator(byId('kept-folder')).evaluateAll((rows) => rows.map((row) => ({ folder: row.dataset.folder, bytes: Number(row.dataset.bytes) })));
}

describe('offline revisits', () => {
  test('after one visit, every demo whose model was kept works with the network cut', async () => {
    const server = await serveDist();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = watchPage(await context.newPage());

    // The first visit, online: the photo classifier, the text model and the peptide data load.
    await page.goto(`${server.url}/?demo=classify&lang=en&backend=flex`);
    await page.waitForSelector(READY, { timeout: 120_000 });
    const online = await classifyCoffee(page);
    await offlineCopyReady(page);
    await page.goto(`${server.url}/?demo=text&lang=en&backend=flex`);
    await page.waitForSelector(READY, { timeout: 180_000 });
    await page.waitForSelector(byId('sentiment'), { timeout: 60_000 });
    await page.goto(`${server.url}/?demo=peptides&lang=en&backend=flex`);
    await page.waitForSelector(`${byId('peptides-train')}:not([disabled])`, { timeout: 60_000 });

    const kept = await keptFolders(page);
    // The full module these pages loaded: in Chromium, its relaxed-SIMD build, trunk's own.
    const wasm = fs.readdirSync(distDir).find((f) => /^open-model-lab-[0-9a-f]{16}_bg\.wasm$/.test(f));
    const shellText = await page.textContent(byId('kept-shell'));
    console.log(`kept: ${JSON.stringify(kept)}; ${shellText}`);
    const folders = kept.map((k) => k.folder);
    for (const expected of ['assets/models/efficientnet-lite0', 'text-models/e5-small', 'assets/peptides']) {
      assert.ok(folders.includes(expected), `${expected} is listed: ${folders}`);
    }
    // The folder's size is at least that of one of its weights files (the one the page loaded).
    const { files } = JSON.parse(fs.readFileSync(path.join(distDir, 'assets/models/efficientnet-lite0/manifest.json'), 'utf8'));
    const listed = kept.find((k) => k.folder === 'assets/models/efficientnet-lite0').bytes;
    assert.ok(files.some((f) => listed >= f.bytes), `the listed size ${listed} holds a weights file`);
    const shellMb = Number(shellText.match(/([\d.]+) MB/)[1]);
    assert.ok(shellMb * 1e6 >= fs.statSync(path.join(distDir, wasm)).size * 0.99, `the offline copy (${shellMb} MB) holds the wasm`);

    // The network cut: the server is gone and the browser is offline.
    await server.close();
    await context.setOffline(true);
    const offline = watchPage(await context.newPage());
    await offline.goto(`${server.url}/?demo=classify&lang=en&backend=flex`);
    await offline.waitForSelector(READY, { timeout: 120_000 });
    assert.equal(await offline.getAttribute(byId('model-origin'), 'data-origin'), 'cache');
    assert.equal(await classifyCoffee(offline), online, 'the same top class offline as online');

    await offline.goto(`${server.url}/?demo=text&lang=en&backend=flex`);
    await offline.waitForSelector(READY, { timeout: 180_000 });
    await offline.waitForSelector(byId('sentiment'), { timeout: 60_000 });

    await offline.goto(`${server.url}/?demo=peptides&lang=en&backend=flex`);
    await offline.waitForSelector(`${byId('peptides-train')}:not([disabled])`, { timeout: 60_000 });

    // Training needs no download at all.
    await offline.goto(`${server.url}/?demo=playground&lang=en&backend=flex`);
    await offline.click(byId('play'));
    await offline.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) > 50, null, { timeout: 60_000 });
    await offline.click(byId('play'));

    // The recommender's data was never fetched: it says so, the page stays up.
    await offline.goto(`${server.url}/?demo=recommend&lang=en&backend=flex`);
    await offline.waitForSelector(byId('recommend-problem'), { timeout: 60_000 });
    assert.match(await offline.textContent(byId('recommend-problem')), /could not be loaded: network error/);
    // The browser logs the failed fetch itself; nothing else may be an error.
    offline.consoleErrors = offline.consoleErrors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(e));

    // Deleting a model from the panel removes it: offline, the classifier now says it cannot load.
    await offline.goto(`${server.url}/?demo=classify&lang=en&backend=flex`);
    await offline.waitForSelector(READY, { timeout: 120_000 });
    await keptFolders(offline);
    await offline.locator(`${byId('kept-folder')}[data-folder="assets/models/efficientnet-lite0"] ${byId('kept-delete')}`).click();
    await offline.waitForFunction(() => !document.querySelector('[data-folder="assets/models/efficientnet-lite0"]'));
    const left = await keptFolders(offline);
    assert.ok(left.some((k) => k.folder === 'text-models/e5-small'), 'the other models stay');
    await offline.reload();
    await offline.waitForSelector(byId('model-error'), { timeout: 120_000 });
    assert.match(await offline.textContent(byId('model-error')), /network/i);
    offline.consoleErrors = offline.consoleErrors.filter((e) => !/Failed to load resource|ERR_INTERNET_DISCONNECTED|Failed to fetch/.test(e));

    assertNoConsoleErrors(page);
    assertNoConsoleErrors(offline);
    await context.close();
  });

  test('a new build replaces the offline copy instead of adding to it', async () => {
    // A copy of the site whose worker is then changed, as the next build's would be.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-offline-'));
    for (const entry of fs.readdirSync(distDir)) {
      if (entry === 'assets' || entry === 'text-models') fs.symlinkSync(path.join(distDir, entry), path.join(dir, entry));
      else fs.cpSync(path.join(distDir, entry), path.join(dir, entry), { recursive: true });
    }
    const server = await serveDist(dir);
    const context = await browser.newContext();
    const page = watchPage(await context.newPage());
    try {
      await page.goto(`${server.url}/?demo=playground&lang=en`);
      await offlineCopyReady(page);
      const first = (await page.evaluate(() => caches.keys())).filter((n) => n.startsWith('open-model-lab-shell-'));
      assert.equal(first.length, 1);

      const worker = path.join(dir, 'sw.js');
      const source = fs.readFileSync(worker, 'utf8');
      const build = source.match(/const BUILD = '([0-9a-f]{16})'/)[1];
      const next = build.split('').reverse().join('');
      fs.writeFileSync(worker, source.replace(`'${build}'`, `'${next}'`));
      await page.reload();
      await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
      await page.waitForFunction((name) => caches.keys().then((names) => {
        const shells = names.filter((n) => n.startsWith('open-model-lab-shell-'));
        return shells.length === 1 && shells[0] === name;
      }), `open-model-lab-shell-${next}`, { timeout: 60_000 });
      assertNoConsoleErrors(page);
    } finally {
      await context.close();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
