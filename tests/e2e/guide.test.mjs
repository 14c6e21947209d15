// End to end: the guided start page. The address without a demo opens the tour: every demo in
// the article's order with its own words beside it, each demo in a frame that loads only when the
// reader scrolls near it, sizes itself (no scrollbar inside) and follows the page's language.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, withSite } from './harness.mjs';

const site = withSite();

/** The demos whose frames have started their app (a lazy frame not yet loaded is about:blank). */
async function loadedFrames(page) {
  return page.locator(byId('guide-frame')).evaluateAll((frames) => frames
    .filter((f) => f.contentDocument?.querySelector('.app'))
    .map((f) => f.closest('[data-demo]').dataset.demo));
}

describe('guided start page', () => {
  test('the sections in order, frames loaded on scroll, sized, and following the language', async () => {
    // The last frame's page is held back until the reader has switched languages (below), so
    // its demo starts in the language of its address after the switch. The offline copy is off:
    // it would answer the frame without page.route seeing it.
    let releaseLast;
    const lastHeld = new Promise((resolve) => { releaseLast = resolve; });
    let lastRequested;
    const lastAsked = new Promise((resolve) => { lastRequested = resolve; });
    const page = await openPage(site.browser, undefined, { serviceWorkers: 'block' });
    await page.route((url) => url.searchParams.get('demo') === 'speech', async (route) => {
      lastRequested();
      await lastHeld;
      await route.continue();
    });
    await page.goto(`${site.server.url}/?lang=en`);
    await page.waitForSelector(byId('guide'));
    const steps = await page.locator(byId('guide-step')).evaluateAll((els) => els.map((el) => ({
      demo: el.dataset.demo,
      section: el.querySelector('.section').textContent,
      words: el.querySelector('.guide-text p').textContent,
    })));
    assert.equal(steps.length, 10);
    const sections = steps.map((s) => s.section);
    assert.deepEqual(sections, [...sections].sort(), `sections in the article's order: ${sections}`);
    assert.equal(sections[0], '1.1');
    assert.equal(sections.at(-1), '2.3');
    for (const step of steps) assert.ok(step.words.length > 80, `${step.demo} has its own words`);

    // The first demo runs at once; the last has not started: nothing of it ran or downloaded.
    await page.waitForFunction(() => document.querySelector('[data-testid="guide-frame"]').contentDocument?.querySelector('.app'), null, { timeout: 60_000 });
    const first = await loadedFrames(page);
    assert.ok(first.includes(steps[0].demo), `first frame loaded: ${first}`);
    assert.ok(!first.includes('speech'), `the last frame waits for the reader: ${first}`);
    assert.ok(!page.requests.some((url) => url.includes('/assets/speech/')), 'no speech data fetched before scrolling there');

    // The language toggle reaches every running demo without reloading it.
    const firstFrame = page.locator(byId('guide-frame')).first();
    const before = await firstFrame.evaluate((f) => f.contentWindow.performance.timeOrigin);
    await page.click(byId('lang-toggle'));
    const allChinese = () => [...document.querySelectorAll('[data-testid="guide-frame"]')]
      .filter((f) => f.contentDocument?.querySelector('.app'))
      .every((f) => f.contentDocument.querySelector('[data-testid="lang-toggle"]').textContent === 'English');
    await page.waitForFunction(allChinese, null, { timeout: 30_000 });
    assert.match(await page.textContent(`${byId('guide-step')}[data-demo="speech"] h2`), /语音识别/);
    const after = await firstFrame.evaluate((f) => f.contentWindow.performance.timeOrigin);
    assert.equal(after, before, 'the demo was not reloaded');

    // Scrolled to the end, the last demo loads, in the page's language though its address was
    // written in English, and its frame takes its demo's height.
    await page.locator(`${byId('guide-step')}[data-demo="speech"]`).scrollIntoViewIfNeeded();
    await lastAsked;
    assert.match(await page.locator(`[data-demo="speech"] iframe`).getAttribute('src'), /lang=en/);
    releaseLast();
    await page.waitForFunction(() => {
      const frame = document.querySelector('[data-demo="speech"] iframe');
      const doc = frame.contentDocument;
      return doc?.querySelector('.app') && frame.style.height && frame.style.height !== '640px';
    }, null, { timeout: 60_000 });
    await page.waitForFunction(allChinese, null, { timeout: 30_000 });
    const sized = await page.locator(`[data-demo="speech"] iframe`).evaluate((frame) => ({
      frame: frame.getBoundingClientRect().height,
      content: frame.contentDocument.documentElement.scrollHeight,
      inner: frame.contentDocument.documentElement.clientHeight,
    }));
    assert.ok(sized.content <= sized.inner + 1, `no scrollbar inside the frame: ${JSON.stringify(sized)}`);

    // "Open on its own" leads to the demo alone.
    await page.click(`${byId('guide-step')}[data-demo="playground"] .guide-text a`);
    await page.waitForSelector('main.demo[data-demo="playground"]');
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('an unknown demo name opens the tour and says so', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=nope&lang=en`);
    await page.waitForSelector(byId('guide'));
    assert.match(await page.textContent('.notice'), /There is no demo called “nope”; here is the tour/);
    assertNoConsoleErrors(page);
    await page.close();
  });
});
