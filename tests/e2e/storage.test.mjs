// End to end: neither the browser's storage nor a bad manifest traps the visitor. Without the
// Cache API (as on plain http over a LAN address, `file://` or some private modes) and with a
// storage quota that refuses every write, the model still loads from the network into memory,
// and the page says that the next visit downloads it again. A model whose manifest is refused is
// left out with its reason, and the others load. A model list not on the server yet (a `serve`
// still converting) says so, and Retry finds it once it is there.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { assertNoConsoleErrors, byId, distDir, openPage, withSite } from './harness.mjs';

const site = withSite();

async function loadWith(initScript) {
  const page = await openPage(site.browser);
  await page.addInitScript(initScript);
  await page.goto(`${site.server.url}/?demo=classify&lang=en&backend=flex`);
  await page.waitForSelector(`${byId('model-status')}:is([data-state="ready"], [data-state="failed"])`, { timeout: 120_000 });
  return page;
}

describe('model storage', () => {
  test('without the Cache API the model loads into memory, and the page says it is not kept', async () => {
    const page = await loadWith(() => Object.defineProperty(window, 'caches', { value: undefined }));
    assert.equal(await page.getAttribute(byId('model-status'), 'data-state'), 'ready');
    assert.equal(await page.getAttribute(byId('model-origin'), 'data-origin'), 'not-kept');
    assert.match(await page.textContent(byId('model-not-kept')), /cannot use the browser's cache[\s\S]*next visit downloads it again/);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('a full quota keeps the model in memory and names the refusal', async () => {
    const page = await loadWith(() => {
      Cache.prototype.put = () => Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
    });
    assert.equal(await page.getAttribute(byId('model-status'), 'data-state'), 'ready');
    assert.equal(await page.getAttribute(byId('model-origin'), 'data-origin'), 'not-kept');
    assert.match(await page.textContent(byId('model-not-kept')), /refused to store the model \(QuotaExceededError/);
    // The photo demo still classifies: the model in memory is the one used.
    await page.click(byId('sample-coffee.png'));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="top5"] li').length === 5, null, { timeout: 60_000 });
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('a refused manifest leaves its model out with the reason, and the others still load', async () => {
    const page = await openPage(site.browser);
    const base = `${site.server.url}/assets/models`;
    const good = JSON.parse(fs.readFileSync(path.join(distDir, 'assets', 'models', 'efficientnet-lite0', 'manifest.json'), 'utf8'));
    await page.route(`${base}/index.json`, (route) => route.fulfill({ json: { models: ['huge', 'broken', '../escape', 'efficientnet-lite0'] } }));
    // Declares a 1 TiB weights file: refused before anything is reserved for it.
    await page.route(`${base}/huge/manifest.json`, (route) => route.fulfill({
      json: { ...good, files: good.files.map((f) => ({ ...f, bytes: 2 ** 40 })) },
    }));
    await page.route(`${base}/broken/manifest.json`, (route) => route.fulfill({ body: '{"format_version": 1, "arch": ' }));
    await page.goto(`${site.server.url}/?demo=classify&lang=en&backend=flex`);
    await page.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 120_000 });
    const unlisted = await page.locator(`${byId('model-unlisted')} li`).allTextContents();
    assert.equal(unlisted.length, 3, `left out: ${unlisted}`);
    assert.match(unlisted[0], /The model huge cannot be used and was left out: .*1099511627776 bytes \(at most 512 MiB\)/);
    assert.match(unlisted[1], /The model broken cannot be used and was left out: invalid model manifest: EOF/);
    assert.match(unlisted[2], /The model \.\.\/escape cannot be used and was left out: not a plain folder name/);
    assert.equal(await page.locator(`${byId('model')} option`).count(), 1);
    assert.ok(!page.requests.some((url) => url.includes('escape')), 'the odd folder name is never fetched');
    assertNoConsoleErrors(page);
    await page.close();
  });
  test('a model list not on the server yet, as while `cargo xtask serve` converts, says so, and Retry loads it once it is there', async () => {
    const page = await openPage(site.browser);
    const index = `${site.server.url}/text-models/index.json`;
    await page.route(index, (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page.goto(`${site.server.url}/?demo=text&lang=en&backend=flex`);
    await page.waitForSelector(byId('model-error'), { timeout: 60_000 });
    assert.match(
      await page.textContent(byId('model-error')),
      /Could not read the list of models: the server answered HTTP 404: the file is not on the server \(a site that `cargo xtask serve` is still preparing gets its models when their conversion ends: reload then\)/,
    );
    // The rest of the page is untouched: another demo opens from the navigation.
    assert.equal(await page.locator(byId('nav-playground')).count(), 1);
    // The conversion has ended: the list is there now, and Retry finds it without a reload.
    await page.unroute(index);
    await page.click(byId('model-retry'));
    await page.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 120_000 });
    // The one console error is the browser's own line for the 404.
    assert.ok(page.consoleErrors.every((line) => /404/.test(line)), page.consoleErrors.join('\n'));
    await page.close();
  });
});
