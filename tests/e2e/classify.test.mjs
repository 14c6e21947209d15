// End to end: article 2.2, image classification in the page with the real pretrained
// EfficientNet-Lite0 asset that `cargo xtask setup` converts, on the CPU (flex) and on WebGPU;
// and a visitor's own ResNet-50, converted with the README's command (`cargo xtask test` does
// that into dist/ from a seeded torchvision checkpoint), against PyTorch's logits for it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactPath, assertNoConsoleErrors, classified, distDir, frameRate, greyPng, heicHeader, launchBrowser, lossyWebp, openPage, readProfile, repoRoot, serveDist, topClasses } from './harness.mjs';

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


/** Hands the page a file through the picker and waits for the classification to settle. */
async function upload(page, name, buffer, mimeType) {
  const before = await page.$eval(byId('classification'), (el) => el.innerHTML);
  await page.setInputFiles(byId('photo-file'), { name, mimeType, buffer });
  return before;
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
    // Where the worker's time went: EfficientNet-Lite0's 16 blocks, each one depthwise
    // convolution; 33 full convolutions (stem, 15 expansions, 16 projections, head); no batch
    // norm (each folded into its convolution at load); all within the pass's own time.
    const profile = await readProfile(page);
    const { calls, marked } = profile;
    assert.deepEqual([calls['depthwise-conv'], calls.conv, calls['batch-norm'], calls.head], [16, 33, undefined, 1], JSON.stringify(profile));
    assert.ok(marked > 0 && marked <= profile.total + 0.5, `ops ${marked} ms within the pass's ${profile.total} ms`);
    const offsite = page.requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(offsite, [], 'classifying made no request off this origin');
    // The first photo starts the lab's worker: its starter, then the page's own program again.
    const program = (url) => /^\/(lab-worker\.js|open-model-lab-[0-9a-f]{1,16}(\.js|_bg\.wasm))$/.test(new URL(url).pathname);
    const other = page.requests.filter((url) => !url.includes('/assets/') && !program(url));
    assert.deepEqual(other, [], `requests while classifying: ${page.requests}`);
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
    // A two-frame animated GIF (the page names GIF but decodes PNG, JPEG and WebP only).
    const gif = Buffer.from(
      'R0lGODlhAQABAIAAAP///wAAACH/C05FVFNDQVBFMi4wAwEAAAAh+QQACgAAACwAAAAAAQABAAACAkQBACH5BAAKAAAALAAAAAABAAEAAAICRAEAOw==',
      'base64',
    );
    const cases = [
      ['notes.txt', Buffer.from('this is not an image'), 'text/plain', /not a PNG, JPEG or WebP image/],
      ['empty.png', Buffer.alloc(0), 'image/png', /has no pixels/],
      ['truncated.jpg', jpeg.subarray(0, 2000), 'image/jpeg', /cannot be decoded/],
      ['animated.gif', gif, 'image/gif', /GIF images cannot be read here/],
      ['IMG_0001.HEIC', heicHeader(), 'image/heic', /HEIC images cannot be read here: save “IMG_0001\.HEIC” as JPEG, PNG or WebP/],
    ];
    for (const [name, buffer, mimeType, why] of cases) {
      await page.setInputFiles(byId('photo-file'), { name, mimeType, buffer });
      await page.waitForFunction((name) => document.querySelector('[data-testid="photo-problem"]')?.textContent.includes(name), name);
      assert.match(await page.textContent(byId('photo-problem')), why, name);
      assert.deepEqual(await topClasses(page), kept, `${name}: the previous result is kept`);
    }

    // A WebP is classified like any other photo.
    await page.setInputFiles(byId('photo-file'), { name: 'red-blue.webp', mimeType: 'image/webp', buffer: lossyWebp() });
    await page.waitForFunction(() => document.querySelector('figcaption')?.textContent === 'red-blue.webp');
    assert.equal((await classified(page)).length, 5);
    assert.equal(await page.$(byId('photo-problem')), null, 'the WebP gets a result, not a message');

    // A 12000×12000 photo is shrunk while decoding and classified like any other.
    const started = Date.now();
    await page.setInputFiles(byId('photo-file'), { name: 'huge.png', mimeType: 'image/png', buffer: greyPng(12000, 12000) });
    await page.waitForFunction(() => document.querySelector('figcaption')?.textContent === 'huge.png', null, { timeout: 120_000 });
    const huge = await classified(page);
    console.log(`# 12000×12000 PNG: decoded, shrunk and classified in ${Date.now() - started} ms`);
    assert.equal(huge.length, 5);
    assert.equal(await page.$(byId('photo-problem')), null, 'the huge photo gets a result, not a message');
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  });

  test('on the CPU it runs in the lab\'s worker; when that worker dies mid-classification, a message and a retry that loads the model into a fresh one', async () => {
    const page = await openPage(browser, `${server.url}/?demo=classify&backend=flex&lang=en`);
    await waitForModel(page);
    await page.click(byId('sample-chelsea.png'));
    const cat = await classified(page);
    const models = [];
    for (const worker of page.workers()) {
      if (await worker.evaluate(() => self.name) === 'models') models.push(worker);
    }
    assert.equal(models.length, 1, 'the classifier runs in the models worker');
    // The worker's own program traps as it answers its next request (the same nearly-4-GiB
    // allocation as crash.test.mjs), as an out-of-memory in the pass would: no answer reaches the page.
    const glue = new URL(await page.getAttribute('link[rel=modulepreload]', 'href'), server.url).href;
    await models[0].evaluate(async (glue) => {
      const { default: init } = await import(glue);
      const wasm = await init();
      self.postMessage = () => wasm.__wbindgen_malloc(0xFFFFFFF0, 8);
    }, glue);

    await page.click(byId('sample-coffee.png'));
    await page.waitForSelector(byId('classify-retry'), { timeout: 60_000 });
    assert.match(await page.textContent(byId('classify-problem')), /running the classifier stopped unexpectedly \(.+\)\. The page and its settings are unharmed/);
    assert.equal(await page.locator(byId('crash-overlay')).count(), 0, 'the page itself did not die');
    assert.deepEqual(await topClasses(page), cat, 'the last result is kept');
    assert.equal(await page.getAttribute(byId('model-status'), 'data-state'), 'ready', 'the model stays picked');

    await page.click(byId('classify-retry'));
    await page.waitForFunction(() => document.querySelector('[data-testid="classify-problem"]') === null, null, { timeout: 120_000 });
    const coffee = await classified(page);
    assert.notDeepEqual(coffee, cat, 'the retry classified the new photo');
    assert.equal(await page.$(byId('classify-retry')), null);
    await page.close();
  });

  test('where no worker can start (a browser without module workers), photos are decoded and classified in the page', async () => {
    // The offline copy would answer the starter itself; without it, the route below does.
    const page = await openPage(browser, undefined, { serviceWorkers: 'block' });
    await page.route(/\/lab-worker\.js$/, (route) => route.fulfill({ status: 404, body: 'no workers here' }));
    await page.goto(`${server.url}/?demo=classify&backend=flex&lang=en`);
    await waitForModel(page);
    await page.click(byId('sample-chelsea.png'));
    const cat = await classified(page);
    assert.ok(CAT_CLASSES.has(cat[0].class), `chelsea.png: top-1 ${cat[0].text}`);
    assert.equal(await page.$(byId('photo-problem')), null);
    assert.equal(await page.$(byId('classify-problem')), null);
    assert.equal(page.workers().length, 0, 'no worker runs');
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

/** Softmax of `logits`, ranked: the top `k` as {class, probability}. */
function topOf(logits, k) {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps
    .map((e, i) => ({ class: i, probability: e / sum }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}

describe('a ResNet-50 of your own (2.2)', () => {
  const own = path.join(distDir, 'assets', 'models', 'my-resnet50');
  const fixture = JSON.parse(fs.readFileSync(path.join(repoRoot, 'crates/lab-core/tests/fixtures/vision_reference.json'), 'utf8'));

  test('the converted checkpoint is offered, gives PyTorch\'s classes, and the page keeps drawing', async () => {
    assert.ok(fs.existsSync(path.join(own, 'manifest.json')), `${own} missing: \`cargo xtask test --only e2e\` converts it`);
    const page = await openPage(browser, `${server.url}/?demo=classify&model=my-resnet50&weights=weights.f32.safetensors&backend=flex&lang=en`);
    await waitForModel(page);
    const offered = await page.$$eval(`${byId('model')} option`, (options) => options.map((o) => o.value));
    assert.ok(offered.includes('efficientnet-lite0') && offered.includes('my-resnet50'), `models offered: ${offered}`);

    // Measure the frames while the network runs: stage by stage, the page must keep drawing.
    const frames = frameRate(page, 6000);
    await page.setInputFiles(byId('photo-file'), path.join(samples, 'chelsea.png'));
    const shown = await classified(page);
    const { fps, longestGapMs } = await frames;
    const ms = await page.textContent(byId('classify-ms'));
    console.log(`# ResNet-50 (f32, flex): classified in${ms}; ${fps.toFixed(1)} frames/s meanwhile, longest frame gap ${longestGapMs.toFixed(0)} ms`);
    assert.ok(longestGapMs < 1000, `the page froze for ${longestGapMs.toFixed(0)} ms while classifying`);

    const expected = topOf(fixture.models.resnet50.logits.chelsea, 5);
    assert.deepEqual(shown.map((c) => c.class), expected.map((c) => c.class), 'the top 5 are PyTorch\'s');
    for (const [got, want] of shown.map((c, i) => [c, expected[i]])) {
      assert.ok(Math.abs(got.probability - want.probability) < 1e-4, `class ${got.class}: ${got.probability} vs PyTorch ${want.probability}`);
    }
    assertNoConsoleErrors(page);
    await page.close();
  });
});

describe('image classification (2.2) on WebGPU', () => {
  let gpuBrowser;
  before(async () => {
    gpuBrowser = await launchBrowser({ webgpu: true });
  });
  after(async () => {
    await gpuBrowser?.close();
  });

  test('gives the CPU\'s top 5 on WebGPU', async () => {
    const probe = async (where, backend) => {
      const page = await openPage(where, `${server.url}/?demo=classify&backend=${backend}&lang=en`);
      await page.waitForSelector(`${byId('backend-status')}[data-backend="${backend}"]`, { timeout: 60_000 });
      await waitForModel(page);
      await page.setInputFiles(byId('photo-file'), path.join(samples, 'chelsea.png'));
      const top = await classified(page);
      assert.equal(await page.getAttribute(byId('backend-status'), 'data-backend'), backend);
      assertNoConsoleErrors(page);
      await page.close();
      return top;
    };
    const cpu = await probe(browser, 'flex');
    const gpu = await probe(gpuBrowser, 'webgpu');
    assert.deepEqual(gpu.map((c) => c.class), cpu.map((c) => c.class));
    for (const [g, c] of gpu.map((g, i) => [g, cpu[i]])) {
      assert.ok(Math.abs(g.probability - c.probability) < 1e-3, `class ${g.class}: webgpu ${g.probability}, flex ${c.probability}`);
    }
  });
});
