// End to end: the lab can be installed as an app. Chromium reads the web app manifest with no
// error, finds icons it can use, and reports no installability problem of the manifest's own;
// the start page's first contentful paint is printed (a figure, not a timed assertion).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, openPage, withSite } from './harness.mjs';

const site = withSite();

describe('installing the lab', () => {
  test('the manifest parses, its icons load, and Chromium finds nothing in it that blocks installing', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?lang=en`);
    await page.waitForSelector('.app');
    const cdp = await page.context().newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.ok(manifest.url.endsWith('/static/manifest.webmanifest'), manifest.url);
    assert.deepEqual(manifest.errors, [], 'no manifest errors');
    const parsed = JSON.parse(manifest.data);
    assert.match(parsed.name, /Open Model Lab/);
    assert.equal(parsed.display, 'standalone');
    const base = new URL(manifest.url);
    for (const icon of parsed.icons) {
      const url = new URL(icon.src, base).href;
      const size = await page.evaluate(async (url) => {
        const image = new Image();
        image.src = url;
        await image.decode();
        return `${image.naturalWidth}x${image.naturalHeight}`;
      }, url);
      assert.equal(size, icon.sizes, `${icon.src} is ${icon.sizes}`);
    }
    assert.ok(parsed.icons.some((i) => i.purpose === 'maskable'), 'a maskable icon');
    assert.equal(new URL(parsed.start_url, base).pathname, '/', 'the app starts at the start page');

    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    const ids = installabilityErrors.map((e) => e.errorId);
    console.log(`installability errors reported by headless Chromium: ${JSON.stringify(ids)}`);
    const ours = ids.filter((id) => /manifest|icon|start-url|display/.test(id));
    assert.deepEqual(ours, [], 'nothing in the manifest blocks installing');

    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
    console.log(`start page: first contentful paint ${fcp?.toFixed(0)} ms from localhost`);
    assert.ok(Number.isFinite(fcp), 'the page painted');
    assertNoConsoleErrors(page);
    await page.close();
  });
});
