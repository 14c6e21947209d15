// End to end: accessibility. axe-core (pinned in package-lock.json) checks every demo in both
// languages once its controls are drawn (default models loaded), and the shell's other states,
// against WCAG 2 A/AA and axe's best practices; a serious or critical violation fails the test.
// axe is evaluated in the page through the DevTools protocol, which the site's
// Content-Security-Policy does not govern, so the pages run under their real policy. Then a
// keyboard-only walk trains the playground: Tab, Shift+Tab, Enter, Space and arrows, no clicks;
// every element focused on the way has an accessible name and a visible focus indicator; the
// landscape's start point moves by arrow keys; the crash overlay is a named dialog with the focus.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { after, describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, withSite } from './harness.mjs';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const site = withSite();

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
const FAILING = new Set(['serious', 'critical']);

/** Each demo's URL extras and what shows that its controls are drawn (and its default model loaded). */
const DEMOS = {
  linear: { ready: '[data-demo="linear"] table.steps' },
  playground: { ready: '[data-testid="train-loss"][data-value]:not([data-value=""])' },
  optimizers: { ready: byId('race-run') },
  landscape: { ready: byId('landscape-paths') },
  augment: { ready: '[data-testid="augment-grid"][data-done]' },
  text: { ready: `${byId('model-status')}[data-state="ready"]`, then: byId('sentiment') },
  classify: { ready: `${byId('model-status')}[data-state="ready"]` },
  peptides: { ready: `${byId('peptides-train')}:not([disabled])`, then: byId('peptides-saliency') },
  recommend: { ready: `${byId('recommend-train')}:not([disabled])` },
  speech: { ready: byId('speech-spectrogram') },
};

/** Violations per page, for the summary printed after the file's tests. */
const summary = [];

/** Runs axe on the page; returns its violations as plain data. */
async function axeViolations(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    // Not into frames: the tour's frames are the demos in embed mode, each checked on its own page.
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'], iframes: false });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  }, AXE_TAGS);
}

/** Every drawn canvas and chart: is it an image with a name? (axe checks SVGs that say they are images.) */
async function unnamedPictures(page) {
  return page.evaluate(() => {
    window.axe.setup(document);
    try {
      return [...document.querySelectorAll('canvas, svg')]
        .filter((el) => el.getClientRects().length > 0)
        .filter((el) => el.getAttribute('role') !== 'img' || !window.axe.commons.text.accessibleTextVirtual(window.axe.utils.getNodeFromTree(el)).trim())
        .map((el) => el.dataset.testid ?? el.outerHTML.slice(0, 80));
    } finally {
      window.axe.teardown();
    }
  });
}

/** Checks the open page: records its violations and fails on serious or critical ones. */
async function checkPage(page, name) {
  const violations = await axeViolations(page);
  const unnamed = await unnamedPictures(page);
  if (unnamed.length > 0) violations.push({ id: 'picture-without-text', impact: 'serious', help: 'canvas or svg without role="img" and a text alternative', targets: unnamed });
  const count = (impacts) => violations.filter((v) => impacts.includes(v.impact)).reduce((n, v) => n + v.targets.length, 0);
  summary.push({ page: name, serious: count(['serious', 'critical']), other: count(['moderate', 'minor']), rules: violations.map((v) => v.id).join(' ') });
  const failing = violations.filter((v) => FAILING.has(v.impact));
  const report = failing
    .map((v) => `  ${v.id} (${v.impact}, ${v.targets.length}×): ${v.help}\n${v.targets.slice(0, 6).map((t) => `      ${t}`).join('\n')}`)
    .join('\n');
  assert.equal(failing.length, 0, `${name}: serious or critical accessibility violations:\n${report}`);
}

after(() => {
  const rows = summary.map((r) => `${r.page.padEnd(22)} ${String(r.serious).padStart(16)} ${String(r.other).padStart(15)}  ${r.rules}`);
  console.log(['axe-core: nodes in violation per page', `${'page'.padEnd(22)} ${'serious/critical'.padStart(16)} ${'moderate/minor'.padStart(15)}  rules`, ...rows].join('\n'));
});

describe('axe-core finds no serious or critical violation', () => {
  for (const [id, { ready, then }] of Object.entries(DEMOS)) {
    for (const lang of ['zh', 'en']) {
      test(`${id} in ${lang}`, async () => {
        const page = await openPage(site.browser, `${site.server.url}/?demo=${id}&lang=${lang}&backend=flex`);
        await page.waitForSelector(ready, { timeout: 120_000 });
        if (then) await page.waitForSelector(then, { timeout: 60_000 });
        await checkPage(page, `${id} ${lang}`);
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang, 'the page says its language');
        assertNoConsoleErrors(page);
        await page.close();
      });
    }
  }

  for (const lang of ['zh', 'en']) {
    test(`the tour in ${lang}, with the stored-on-device panel open`, async () => {
      const page = await openPage(site.browser, `${site.server.url}/?lang=${lang}&backend=flex`);
      await page.waitForSelector(byId('guide-frame'));
      await page.click(`${byId('kept-panel')} summary`);
      await page.waitForSelector(`${byId('kept-shell')}, ${byId('kept-none')}, ${byId('kept-error')}`);
      await checkPage(page, `tour ${lang}`);
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang, 'the page says its language');
      assertNoConsoleErrors(page);
      await page.close();
    });
  }

  test('the shell: an unknown demo, embed mode, the language switched in the page', async () => {
    const unknown = await openPage(site.browser, `${site.server.url}/?demo=nothing&lang=en&backend=flex`);
    await unknown.waitForSelector('.notice[role="alert"]');
    await checkPage(unknown, 'unknown demo en');
    assertNoConsoleErrors(unknown);
    await unknown.close();

    const embedded = await openPage(site.browser, `${site.server.url}/?demo=linear&embed=1&lang=zh&backend=flex`);
    await embedded.waitForSelector(DEMOS.linear.ready);
    await checkPage(embedded, 'embed linear zh');
    await embedded.click(byId('lang-toggle'));
    await embedded.waitForFunction(() => document.documentElement.lang === 'en');
    await checkPage(embedded, 'embed linear → en');
    assertNoConsoleErrors(embedded);
    await embedded.close();
  });

  test('the crash overlay: a named dialog whose reload link has the focus', async () => {
    // What a trap reaches the page as: an uncaught WebAssembly.RuntimeError. (crash.test.mjs makes
    // a real one, which needs the release build: a development build's allocator throws a plain
    // Error instead of trapping.) This test is about the overlay, not about detecting the trap.
    const page = await openPage(site.browser, `${site.server.url}/?demo=playground&lang=en&backend=flex`);
    await page.waitForSelector(DEMOS.playground.ready, { timeout: 120_000 });
    await page.evaluate(() => setTimeout(() => { throw new WebAssembly.RuntimeError('unreachable'); }));
    await page.waitForSelector(byId('crash-overlay'), { timeout: 10_000 });
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'crash-reload');
    // Only the overlay: the dead page behind it is not what the visitor can use any more.
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async (tags) => {
      const result = await window.axe.run('#crash-overlay', { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }, AXE_TAGS);
    summary.push({ page: 'crash overlay en', serious: violations.length, other: 0, rules: violations.join(' ') });
    assert.deepEqual(violations, []);
    await page.close();
  });
});

/** The focused element's data-testid (or tag), accessible name and focus styles. */
async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    window.axe.setup(document);
    const name = window.axe.commons.text.accessibleTextVirtual(window.axe.utils.getNodeFromTree(el)).trim();
    window.axe.teardown();
    return {
      testid: el.dataset.testid ?? el.tagName.toLowerCase(),
      name,
      focusVisible: el.matches(':focus-visible'),
      look: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`,
    };
  });
}

/** The look (outline, shadow) of the element with that handle, now that it is not focused. */
const lookOf = (handle) => handle.evaluate((el) => {
  const style = getComputedStyle(el);
  return `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor} | ${style.boxShadow}`;
});

describe('colours in words', () => {
  test("the peptide's saliency colours: the residues pushing each way most, with their values", async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=peptides&lang=en&backend=flex`);
    await page.waitForSelector(byId('peptides-saliency'), { timeout: 120_000 });
    const { saliency, letters, text } = await page.evaluate(() => ({
      saliency: JSON.parse(document.querySelector('[data-testid="peptides-saliency"]').dataset.saliency),
      letters: [...document.querySelectorAll('[data-testid="peptides-saliency"] .residue')].map((r) => r.textContent),
      text: document.querySelector('[data-testid="peptides-saliency-text"]').textContent,
    }));
    const top = saliency.indexOf(Math.max(...saliency));
    const bottom = saliency.indexOf(Math.min(...saliency));
    const named = (i) => `${letters[i]}${i + 1} ${saliency[i] >= 0 ? '+' : '-'}${Math.abs(saliency[i]).toFixed(3)}`;
    assert.match(text, new RegExp(`most: ${named(top).replace('+', '\\+')}`), text);
    assert.match(text, new RegExp(`lowering it most: ${named(bottom).replace('+', '\\+')}`), text);
    assertNoConsoleErrors(page);
    await page.close();
  });
});

describe('keyboard only', () => {
  test('the playground trains, pauses and changes a setting with keys alone, every stop named and visibly focused', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=playground&lang=en&backend=flex&data=circle&layers=8,8&act=tanh&lr=0.1&batch=16`);
    await page.waitForSelector(DEMOS.playground.ready, { timeout: 120_000 });
    await page.evaluate(axeSource); // for its accessible-name computation
    const visited = [];

    /** Presses `key` until the element with `testid` is focused, checking every stop on the way. */
    async function tabTo(testid, key = 'Tab', limit = 80) {
      for (let i = 0; i < limit; i += 1) {
        const previous = await page.evaluateHandle(() => document.activeElement);
        await page.keyboard.press(key);
        const now = await focused(page);
        assert.ok(now, `${key} left the focus on the page's body`);
        assert.ok(now.name.length > 0, `the focused ${now.testid} has no accessible name`);
        assert.ok(now.focusVisible, `${now.testid} is focused by the keyboard but not :focus-visible`);
        // The element just left, seen unfocused, must look different from when it was focused.
        const before = visited.at(-1);
        if (before) {
          const unfocused = await lookOf(previous);
          assert.notEqual(unfocused, before.look, `${before.testid} looks the same focused and unfocused (${unfocused})`);
        }
        visited.push(now);
        if (now.testid === testid) return;
      }
      assert.fail(`${testid} was not reached with ${key} within ${limit} presses`);
    }

    const steps = () => page.evaluate(() => Number(document.querySelector('[data-testid="step-count"]').textContent));
    const loss = () => page.evaluate(() => Number(document.querySelector('[data-testid="train-loss"]').dataset.value));

    const loss0 = await loss();
    await tabTo('play');
    assert.equal(visited.at(-1).name, 'Train');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) > 300, null, { timeout: 60_000 });
    assert.equal((await focused(page)).name, 'Pause', 'the button names what it will do next');
    await page.keyboard.press('Space');
    const paused = await steps();
    await page.waitForTimeout(500);
    assert.equal(await steps(), paused, 'Space paused training');
    const loss1 = await loss();
    assert.ok(loss1 < loss0, `the loss fell from ${loss0} to ${loss1}`);
    // The loss chart tells in words the numbers it draws: the latest train loss is the readout's.
    const chart = await page.getAttribute('.output-panel .line-chart', 'aria-label');
    assert.match(chart, new RegExp(`train loss: first [0-9.]+, latest ${loss1.toFixed(4)}, lowest`), chart);

    // A setting changed by arrow key on its select, then back to Train with Shift+Tab.
    await tabTo('lr');
    const lr = await page.inputValue(byId('lr'));
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction((lr) => document.querySelector('[data-testid="lr"]').value !== lr, lr);
    const lrNow = await page.inputValue(byId('lr'));
    assert.equal(new URL(page.url()).searchParams.get('lr'), lrNow, 'the new learning rate is in the URL');

    // A dataset picked with Enter on its button.
    await tabTo('dataset-xor');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('data') === 'xor');

    await tabTo('play', 'Shift+Tab');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) > 100, null, { timeout: 60_000 });
    await page.keyboard.press('Enter');
    console.log(`keyboard walk: ${visited.length} focus stops, learning rate ${lr} → ${lrNow}, loss ${loss0.toFixed(3)} → ${loss1.toFixed(3)}`);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test("the landscape's start point moves with the arrow keys", async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=landscape&lang=en&backend=flex`);
    await page.waitForSelector(DEMOS.landscape.ready, { timeout: 120_000 });
    const start = () => page.textContent(byId('landscape-start'));
    const before = await start();
    for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement?.dataset.testid)) !== 'landscape-canvas'; i += 1) {
      await page.keyboard.press('Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'landscape-canvas', 'the map is reached by Tab');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowUp');
    const after = await start();
    const [x0, y0] = before.match(/-?[0-9.]+/g).map(Number);
    const [x1, y1] = after.match(/-?[0-9.]+/g).map(Number);
    assert.ok(x1 > x0 && y1 > y0, `start ${before} → ${after}`);
    assert.match(await page.getAttribute(byId('landscape-canvas'), 'aria-label'), new RegExp(`start \\(${x1.toFixed(2)}, ${y1.toFixed(2)}\\)`));
    assertNoConsoleErrors(page);
    await page.close();
  });
});
