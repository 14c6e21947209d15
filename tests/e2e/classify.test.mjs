// End to end: article 2.2, image classification in the page with the real pretrained
// EfficientNet-Lite0 asset that `cargo xtask setup` converts, on the CPU (flex).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath, launchBrowser, openPage, repoRoot, serveDist } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launchBrowser({ webgpu: false });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const byId = (id) => `[data-testid="${id}"]`;
const samples = path.join(repoRoot, 'www', 'assets', 'samples');
// ImageNet-1k classes 281–285 are the domestic cats (tabby, tiger cat, Persian, Siamese, Egyptian).
const CAT_CLASSES = new Set([281, 282, 283, 284, 285]);

async function waitForModel(page, origin) {
  await page.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 120_000 });
  if (origin) assert.equal(await page.getAttribute(byId('model-origin'), 'data-origin'), origin);
}

/** The ranked classes shown, as {class, probability}. */
async function topClasses(page, id = 'top5') {
  return page.$$eval(`${byId(id)} li`, (items) =>
    items.map((li) => ({ class: Number(li.dataset.class), probability: Number(li.dataset.probability), text: li.textContent })),
  );
}

/** Hands the page a file through the picker and waits for the classification to settle. */
async function upload(page, name, buffer, mimeType) {
  const before = await page.$eval(byId('classification'), (el) => el.innerHTML);
  await page.setInputFiles(byId('photo-file'), { name, mimeType, buffer });
  return before;
}

async function classified(page) {
  await page.waitForFunction(
    () => document.querySelector('[data-testid="classification"]')?.dataset.busy === 'false'
      && document.querySelectorAll('[data-testid="top5"] li').length === 5,
    null,
    { timeout: 120_000 },
  );
  return topClasses(page);
}

describe('image classification (2.2)', () => {
  test('downloads the model with progress, classifies real photos, then loads from the cache', async () => {
    const page = await openPage(browser, `${server.url}/?demo=classify&backend=flex&lang=en`);
    await waitForModel(page, 'network');
    const origin = new URL(server.url).origin;

    // Everything from here on must stay in the page: record every request.
    page.requests.length = 0;
    await page.setInputFiles(byId('photo-file'), path.join(samples, 'chelsea.png'));
    const cat = await classified(page);
    assert.ok(CAT_CLASSES.has(cat[0].class), `chelsea.png: top-1 ${cat[0].text}`);
    assert.ok(cat[0].probability > 0.2 && cat[0].probability <= 1);
    const sum = cat.reduce((s, c) => s + c.probability, 0);
    assert.ok(sum <= 1.0001, `top-5 probabilities sum to ${sum}`);
    const raw = await topClasses(page, 'top5-unnormalised');
    assert.equal(raw.length, 5, 'the unnormalised comparison is shown');
    const offsite = page.requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(offsite, [], 'classifying made no request off this origin');
    assert.deepEqual(page.requests.filter((url) => !url.includes('/assets/')), [], `requests while classifying: ${page.requests}`);
    await page.screenshot({ path: artifactPath('classify-cat.png'), fullPage: true });

    await page.click(byId('sample-coffee.png'));
    await page.waitForFunction(() => document.querySelector('figcaption')?.textContent === 'coffee.png');
    const coffee = await classified(page);
    assert.notEqual(coffee[0].class, cat[0].class);

    await page.reload();
    await waitForModel(page, 'cache');
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  });

  test('bad photos get a clear message and the previous result is kept', async () => {
    const page = await openPage(browser, `${server.url}/?demo=classify&backend=flex&lang=en`);
    await waitForModel(page);
    await page.setInputFiles(byId('photo-file'), path.join(samples, 'chelsea.png'));
    const kept = await classified(page);

    const jpeg = fs.readFileSync(path.join(samples, 'rocket.jpg'));
    const cases = [
      ['notes.txt', Buffer.from('this is not an image'), 'text/plain'],
      ['empty.png', Buffer.alloc(0), 'image/png'],
      ['truncated.jpg', jpeg.subarray(0, 2000), 'image/jpeg'],
    ];
    for (const [name, buffer, mimeType] of cases) {
      await page.setInputFiles(byId('photo-file'), { name, mimeType, buffer });
      await page.waitForFunction((name) => document.querySelector('[data-testid="photo-problem"]')?.textContent.includes(name), name);
      assert.deepEqual(await topClasses(page), kept, `${name}: the previous result is kept`);
    }
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  });

  test('a corrupt model download is detected, reported, and a retry recovers', async () => {
    const page = await openPage(browser);
    let corrupt = true;
    await page.route(/\/assets\/models\/.*\/weights\..*safetensors/, async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      if (corrupt) body[body.length >> 1] ^= 0xff;
      await route.fulfill({ response, body });
    });
    await page.goto(`${server.url}/?demo=classify&backend=flex&lang=en`);
    await page.waitForSelector(byId('model-error'), { timeout: 120_000 });
    assert.match(await page.textContent(byId('model-error')), /sha256|check/i);
    corrupt = false;
    await page.click(byId('model-retry'));
    await waitForModel(page, 'network');
    await page.close();
  });
});
