// End to end: the Content-Security-Policy that `cargo xtask csp` writes into the built page
// (trunk's post_build hook). The browser itself keeps the page to its own origin: a fetch to
// another origin is refused and reported, and every demo opens without a single violation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, serveDist, withSite } from './harness.mjs';

const site = withSite();

describe('content security policy', () => {
  test('a request to another origin is blocked and reported', async () => {
    const other = await serveDist();
    try {
      const page = await openPage(site.browser, `${site.server.url}/?demo=linear&lang=en`);
      const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
      assert.match(policy, /connect-src 'self'/);
      assert.doesNotMatch(policy, /script-src[^;]*'unsafe-inline'/);
      const outcome = await page.evaluate(async (url) => {
        const violations = [];
        document.addEventListener('securitypolicyviolation', (e) => violations.push(e.effectiveDirective));
        let fetched = 'sent';
        try {
          await fetch(url, { method: 'POST', body: 'what the visitor typed' });
        } catch (e) {
          fetched = `refused: ${e.name}`;
        }
        await new Promise((r) => setTimeout(r, 100));
        return { fetched, violations };
      }, `${other.url}/index.html`);
      assert.equal(outcome.fetched, 'refused: TypeError');
      assert.deepEqual(outcome.violations, ['connect-src']);
      assert.ok(!page.requests.some((url) => url.startsWith(other.url)), 'the request never left the page');
      await page.close();
    } finally {
      await other.close();
    }
  });

  test('every demo opens with no policy violation', async () => {
    const page = await openPage(site.browser);
    await page.addInitScript(() => {
      window.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    await page.goto(`${site.server.url}/?lang=en`);
    await page.waitForSelector('[data-testid^="nav-"]', { timeout: 30_000 });
    const ids = await page.$$eval('[data-testid^="nav-"]', (links) => links.map((a) => a.dataset.testid.slice(4)));
    assert.ok(ids.length >= 10, `demos in the navigation: ${ids}`);
    const violations = [];
    for (const id of ids) {
      await page.goto(`${site.server.url}/?demo=${id}&lang=en`);
      await page.waitForSelector('[data-testid^="nav-"]', { timeout: 30_000 });
      await page.waitForTimeout(1_500);
      violations.push(...(await page.evaluate(() => window.violations)).map((v) => `${id}: ${v}`));
    }
    assert.deepEqual(violations, []);
    assertNoConsoleErrors(page);
  });
});
