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
  // Trunk's loader hands the started instance to this event.
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

  test('its exports are called directly, not through a wrapper that reruns the constructors', async () => {
    // src/main.rs calls the static constructors once; were it not to, wasm-ld would wrap every
    // export as `<name>_command_export` and each call from the page would run them all again.
    const page = await openWithExports(`${site.server.url}/?demo=linear&lang=en`);
    const exports = await page.evaluate(() => Object.keys(window.labWasm));
    assert.ok(exports.includes('__wbindgen_malloc'), `exports: ${exports}`);
    assert.deepEqual(exports.filter((name) => name.endsWith('_command_export')), []);
    await page.close();
  });
});
