// End to end: when the wasm program dies, the page says so and offers a reload instead of
// freezing. The crash here is a real one: an allocation of nearly 4 GiB asked of the program's own
// allocator, which aborts it with a WebAssembly trap, as an out-of-memory in decoding or inference
// would.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { byId, openPage, withSite } from './harness.mjs';

const site = withSite();

/** `url` opened with the wasm program's exports kept as `window.labWasm`, once it has started. */
async function openWithExports(url) {
  const page = await openPage(site.browser);
  // The lab's loader (www/module-loader.js) hands the started instance to this event, as trunk's did.
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.labWasm = e.detail.wasm; });
  });
  await page.goto(url);
  await page.waitForFunction(() => window.labWasm !== undefined);
  return page;
}

describe('a crash of the wasm program', () => {
  test('shows a bilingual overlay with the error, and its reload brings the same demo and settings back', async () => {
    const url = `${site.server.url}/?demo=playground&lang=en&backend=flex`;
    const page = await openWithExports(url);
    await page.waitForSelector(byId('play'), { timeout: 60_000 });
    assert.equal(await page.locator(byId('crash-overlay')).count(), 0);

    // The address holds the demo's settings by now: the reload must come back to them.
    const before = page.url();
    await page.evaluate(() => setTimeout(() => window.labWasm.__wbindgen_malloc(0xFFFFFFF0, 8)));
    await page.waitForSelector(byId('crash-overlay'), { timeout: 10_000 });
    const text = await page.textContent(byId('crash-overlay'));
    assert.match(text, /The page hit an error and stopped/);
    assert.match(text, /页面出错/);
    assert.match(text, /unreachable/i, `the error itself is shown: ${text}`);
    assert.ok(page.consoleErrors.some((e) => /unreachable/i.test(e)), 'the trap is also in the console');

    await page.click(byId('crash-reload'));
    await page.waitForSelector(byId('play'), { timeout: 60_000 });
    assert.equal(page.url(), before);
    assert.ok(before.startsWith(url), before);
    assert.equal(await page.locator(byId('crash-overlay')).count(), 0);
    await page.close();
  });

  test('in the lab\'s worker, while it decodes a photo, costs only that photo: a bilingual message, a retry in a fresh worker, the page and its state intact', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=augment&lang=en&seed=7`);
    await page.waitForFunction(() => /chelsea\.png · /.test(document.querySelector('[data-testid="photo-name"]')?.textContent ?? ''), null, { timeout: 60_000 });
    const decoder = page.workers().find((w) => new URL(w.url()).pathname === '/lab-worker.js');
    assert.ok(decoder, `the photo was decoded in the lab's worker: ${page.workers().map((w) => w.url())}`);
    // The worker's own program traps on its next request, as an abort or an out-of-memory would:
    // the same nearly-4-GiB allocation as above, asked of the worker's allocator.
    const glue = new URL(await page.getAttribute('link[rel=modulepreload]', 'href'), site.server.url).href;
    await decoder.evaluate(async (glue) => {
      // The worker's program is already started: its glue's init hands back the same exports.
      const { default: init } = await import(glue);
      const wasm = await init();
      self.addEventListener('message', () => wasm.__wbindgen_malloc(0xFFFFFFF0, 8));
    }, glue);

    await page.click(byId('sample-coffee.png'));
    await page.waitForSelector(byId('photo-retry'), { timeout: 30_000 });
    const message = await page.textContent(byId('photo-problem'));
    // A release build traps ("unreachable"); a debug build's allocator refuses first.
    assert.match(message, /coffee\.png.*stopped unexpectedly \(.*(unreachable|invalid malloc request).*\).*previous photo is kept/i);
    assert.equal(await page.locator(byId('crash-overlay')).count(), 0, 'the page itself did not die');
    assert.match(await page.textContent(byId('photo-name')), /chelsea\.png/, 'the previous photo is kept');
    assert.equal(new URL(page.url()).searchParams.get('seed'), '7', `the settings are kept: ${page.url()}`);
    assert.equal(await page.inputValue(byId('seed')), '7');
    await page.click(byId('lang-toggle'));
    assert.match(await page.textContent(byId('photo-problem')), /后台程序意外停止/);
    await page.click(byId('lang-toggle'));

    await page.click(byId('photo-retry'));
    await page.waitForFunction(() => /coffee\.png · /.test(document.querySelector('[data-testid="photo-name"]')?.textContent ?? ''), null, { timeout: 60_000 });
    assert.equal(await page.$(byId('photo-problem')), null);
    assert.equal(await page.$(byId('photo-retry')), null);
    assert.equal(page.workers().filter((w) => new URL(w.url()).pathname === '/lab-worker.js').length, 1, 'the dead worker was closed');
    await page.close();
  });

  test('its exports are called directly, not through a wrapper that reruns the constructors', async () => {
    // src/main.rs calls the static constructors once; were it not to, wasm-ld would wrap
    // every export as `<name>_command_export` and each call from the page would run them all
    // again. Both of the site's modules: a 1.x page loads the first, a 2.x page the full one.
    for (const demo of ['linear', 'classify']) {
      const page = await openWithExports(`${site.server.url}/?demo=${demo}&lang=en`);
      const exports = await page.evaluate(() => Object.keys(window.labWasm));
      assert.ok(exports.includes('__wbindgen_malloc'), `${demo}'s exports: ${exports}`);
      assert.deepEqual(exports.filter((name) => name.endsWith('_command_export')), []);
      await page.close();
    }
  });
});
