// End to end: article 2.1 in the page, on the CPU (flex): the lab's own int8 Chinese BERT
// (committed in www/text-models/lab-bert-zh), then the pretrained multilingual-e5-small that
// `cargo xtask setup` builds into www/text-models/e5-small (the demo's default).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { artifactPath, assertNoConsoleErrors, byId, frameRate, openPage, readProfile, withSite } from './harness.mjs';

const site = withSite();

/**
 * The page's own icon, which Chromium asks for again whenever the address changes: the sentence
 * is kept in the address (the share link), and the icon's request carries none of it.
 */
const isPageIcon = (url) => new URL(url).pathname === '/static/icons/icon-32.png';

async function waitForModel(page) {
  await page.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 120_000 });
}

/** Types `text` and waits until the sentiment shown is for it (its tokens contain `probe`). */
async function analyse(page, text, probe) {
  await page.fill(byId('text-input'), text);
  await page.waitForFunction(
    (p) => [...document.querySelectorAll('[data-testid="tokens"] .token')].some((t) => t.textContent === p),
    probe,
    { timeout: 60_000 },
  );
  return page.$eval(byId('sentiment'), (el) => ({ label: el.dataset.label, probability: Number(el.dataset.probability) }));
}

/** The longest sentence the model takes, analysed while the page's frames are counted. */
async function analyseLongest(page) {
  const frames = frameRate(page, 3000);
  const { label } = await analyse(page, '质量太差了，用了两天就坏，再也不买了。'.repeat(8), '坏');
  const { fps, longestGapMs } = await frames;
  const seq = Number(await page.getAttribute(byId('attention'), 'data-seq'));
  return { seq, label, fps, longestGapMs };
}

describe('the lab\'s Chinese BERT (2.1)', () => {
  test('classifies the article\'s sentence and a negative one, shows tokens and attention, and keeps the text in the page', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`);
    await waitForModel(page);
    const origin = new URL(site.server.url).origin;
    page.requests.length = 0;

    // The first example is already there when the model is ready.
    await page.waitForSelector(byId('sentiment'));
    const first = await page.$eval(byId('sentiment'), (el) => el.dataset.label);
    assert.equal(first, 'positive', '今天天气真好 is positive');
    const tokens = await page.$$eval(`${byId('tokens')} .token`, (els) => els.map((e) => e.textContent));
    assert.deepEqual(tokens, ['[CLS]', '今', '天', '天', '气', '真', '好', '[SEP]']);
    const ids = await page.$$eval(`${byId('tokens')} li`, (els) => els.map((e) => Number(e.dataset.id)));
    assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0), `ids ${ids}`);

    const negative = await analyse(page, '质量太差了，用了两天就坏，再也不买了。', '差');
    assert.equal(negative.label, 'negative');
    assert.ok(negative.probability > 0.5);

    // The attention map: one canvas, sized for the tokens, redrawn for another layer and head.
    const seq = Number(await page.getAttribute(byId('attention'), 'data-seq'));
    assert.ok(seq >= 10, `the negative sentence has ${seq} tokens`);
    const pixels = () => page.$eval(byId('attention'), (c) => c.toDataURL());
    const before = await pixels();
    await page.selectOption(byId('attention-layer'), { value: '0' });
    await page.selectOption(byId('attention-head'), { value: '1' });
    await page.waitForFunction(() => document.querySelector('[data-testid="attention"]').dataset.head === '1');
    assert.notEqual(await pixels(), before, 'another layer and head draws another map');

    // Fill-mask: five fillers with probabilities.
    const fillers = await page.$$eval(`${byId('fillers')} li`, (els) => els.map((e) => e.dataset.token));
    assert.equal(fillers.length, 5, `fillers ${fillers}`);

    const offsite = page.requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(offsite, [], 'no request left the page');
    assert.deepEqual(page.requests.filter((url) => !url.includes('/text-models/') && !isPageIcon(url)), [], `requests while analysing: ${page.requests}`);
    await page.screenshot({ path: artifactPath('text-demo.png'), fullPage: true });
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('bad input gets a clear message or a correct result, and long text a truncation notice', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`);
    await waitForModel(page);
    await page.waitForSelector(byId('sentiment'));
    for (const empty of ['', '   \n  ']) {
      await page.fill(byId('text-input'), empty);
      await page.waitForSelector(byId('text-problem'));
      assert.match(await page.textContent(byId('text-problem')), /type some text/);
    }
    await analyse(page, '好'.repeat(10_000), '好');
    assert.match(await page.textContent(byId('truncated')), /10002 tokens/, '10,000 characters and [CLS], [SEP]');
    assert.equal(Number(await page.getAttribute(byId('attention'), 'data-seq')), 128);
    assert.equal(await page.locator(byId('text-cut')).count(), 0, '10,000 characters are kept whole');
    // A paste of 100,000 characters keeps the first 20,000 and says so; the page goes on.
    await analyse(page, '坏'.repeat(100_000), '坏');
    assert.match(await page.textContent(byId('text-cut')), /The text has 100000 characters: only the first 20000 were kept/);
    assert.equal((await page.inputValue(byId('text-input'))).length, 20_000);
    assert.match(await page.textContent(byId('truncated')), /20002 tokens/);
    await page.fill(byId('mask-input'), `${'好'.repeat(30_000)}[MASK]`);
    assert.match(await page.textContent(byId('mask-cut')), /30006 characters: only the first 20000 were kept/);
    const emoji = await analyse(page, '😀😀 🎉', '[UNK]');
    assert.ok(['positive', 'negative'].includes(emoji.label));
    await analyse(page, '这本书 so boring，Привет 123 ！', '123');
    await page.fill(byId('mask-input'), '没有掩码');
    await page.waitForSelector(byId('mask-problem'));
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('live fine-tuning: the loss falls and the predictions follow the labels', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`);
    await waitForModel(page);
    await page.click(byId('finetune-start'));
    await page.waitForFunction(() => !document.querySelector('[data-testid="finetune-start"]').disabled, null, { timeout: 120_000 });
    const losses = JSON.parse(await page.getAttribute(byId('finetune-loss'), 'data-losses'));
    assert.ok(losses.length >= 2, `losses ${losses}`);
    assert.ok(losses.at(-1) < losses[0] * 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
    const labels = await page.$$eval(`${byId('finetune-examples')} .label-toggle`, (els) => els.map((e) => Number(e.dataset.label)));
    const predicted = await page.$$eval(byId('finetune-prediction'), (els) => els.map((e) => Number(e.textContent.match(/(\d+)%/)[1]) / 100));
    assert.equal(predicted.length, labels.length);
    labels.forEach((label, i) => assert.equal(predicted[i] > 0.5 ? 1 : 0, label, `example ${i}: P(+) ${predicted[i]}`));
    await page.waitForSelector(byId('finetune-sentence'));
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('on the CPU the encoder runs in the models worker, and a worker that dies mid-analysis costs one message, not the page', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`);
    await waitForModel(page);
    await page.waitForSelector(byId('sentiment'));
    const models = [];
    for (const worker of page.workers()) {
      if (await worker.evaluate(() => self.name) === 'models') models.push(worker);
    }
    assert.equal(models.length, 1, 'the encoder runs in the models worker');

    // The worker's program traps as it answers its next request (the same nearly-4-GiB allocation
    // as crash.test.mjs), as an out-of-memory in the encoder would.
    const glue = new URL(await page.getAttribute('link[rel=modulepreload]', 'href'), site.server.url).href;
    await models[0].evaluate(async (glue) => {
      const { default: init } = await import(glue);
      const wasm = await init();
      self.postMessage = () => wasm.__wbindgen_malloc(0xFFFFFFF0, 8);
    }, glue);
    const typed = '物流很快，包装也很好，推荐！';
    await page.fill(byId('text-input'), typed);
    await page.waitForSelector(byId('text-problem'), { timeout: 60_000 });
    assert.match(await page.textContent(byId('text-problem')), /running the text model stopped unexpectedly \(.+\)\. The page and its settings are unharmed/);
    assert.equal(await page.locator(byId('crash-overlay')).count(), 0, 'the page itself did not die');
    assert.equal(await page.inputValue(byId('text-input')), typed, 'the text is kept');
    assert.equal(await page.getAttribute(byId('model-status'), 'data-state'), 'ready', 'the model stays picked');

    // The next sentence starts a fresh worker, which is handed the model again.
    const positive = await analyse(page, `${typed}很满意`, '满');
    assert.equal(positive.label, 'positive');
    assert.equal(await page.$(byId('text-problem')), null);
    await page.close();
  });

  test('while the worker computes the page stays still: no hint for a short pass, the address written after it; a long pass is said', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`);
    await waitForModel(page);
    await page.waitForSelector(byId('sentiment'));
    const hint = byId('text-busy');
    // Whether the hint was ever shown, from now on.
    const watchHint = () => page.$eval(hint, (el) => {
      window.hintShown = false;
      new MutationObserver(() => { window.hintShown ||= !el.classList.contains('hidden'); }).observe(el, { attributes: true });
    });
    const addressText = () => page.evaluate(() => new URL(location.href).searchParams.get('text'));

    await watchHint();
    const short = '质量太差了，用了两天就坏，再也不买了。';
    await analyse(page, short, '差');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('text') === s, short);
    assert.equal(await page.evaluate(() => window.hintShown), false, 'a pass of a few ms shows no hint');

    // The models worker's answers now arrive 1.5 s late: a pass that runs long.
    for (const worker of page.workers()) {
      if (await worker.evaluate(() => self.name) !== 'models') continue;
      await worker.evaluate(() => {
        const post = self.postMessage.bind(self);
        self.postMessage = (message, transfer) => setTimeout(() => post(message, transfer), 1500);
      });
    }
    const slow = '物流很快，包装也很好，推荐！';
    await page.fill(byId('text-input'), slow);
    await page.waitForSelector(`${hint}:not(.hidden)`, { timeout: 10_000 });
    assert.equal(await addressText(), short, 'the address waits for the analysis');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="tokens"] .token')].some((t) => t.textContent === '物'), null, { timeout: 60_000 });
    assert.equal(await addressText(), slow);
    assert.ok(await page.$eval(hint, (el) => el.classList.contains('hidden')), 'the hint goes with the answer');
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('where no worker can start, the page runs the encoder itself', async () => {
    // The offline copy would answer the starter itself; without it, the route below does.
    const page = await openPage(site.browser, undefined, { serviceWorkers: 'block' });
    await page.route(/\/lab-worker\.js$/, (route) => route.fulfill({ status: 404, body: 'no workers here' }));
    await page.goto(`${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`);
    await waitForModel(page);
    await page.waitForSelector(byId('sentiment'));
    const negative = await analyse(page, '质量太差了，用了两天就坏，再也不买了。', '坏');
    assert.equal(negative.label, 'negative');
    assert.equal(page.workers().length, 0, 'no worker runs');
    assert.equal(await page.$(byId('text-problem')), null);
    await page.close();
  });

  test('a corrupt weights download is reported and a retry recovers', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`);
    let corrupt = true;
    await page.route(/\/text-models\/.*\/weights\..*safetensors/, async (route) => {
      const response = await route.fetch();
      const body = await response.body();
      if (corrupt) body[body.length >> 1] ^= 0xff;
      await route.fulfill({ response, body });
    });
    await page.waitForSelector(byId('model-error'), { timeout: 120_000 });
    assert.match(await page.textContent(byId('model-error')), /sha256/);
    corrupt = false;
    await page.click(byId('model-retry'));
    await waitForModel(page);
    await page.close();
  });
});

describe('Chinese BERT (2.1) on WebGPU', () => {
  const gpu = withSite({ webgpu: true });

  test('gives the CPU\'s sentiment and attention size on WebGPU', async () => {
    const probe = async (browser, backend) => {
      const page = await openPage(browser, `${gpu.server.url}/?demo=text&model=lab-bert-zh&backend=${backend}&lang=en`);
      await page.waitForSelector(`${byId('backend-status')}[data-backend="${backend}"]`, { timeout: 60_000 });
      await waitForModel(page);
      await page.waitForSelector(byId('sentiment'));
      const status = await page.getAttribute(byId('backend-status'), 'data-backend');
      const result = await page.$eval(byId('sentiment'), (el) => ({ label: el.dataset.label, probability: Number(el.dataset.probability) }));
      const seq = Number(await page.getAttribute(byId('attention'), 'data-seq'));
      assertNoConsoleErrors(page);
      await page.close();
      return { ...result, seq, status };
    };
    const cpu = await probe(site.browser, 'flex');
    const webgpu = await probe(gpu.browser, 'webgpu');
    assert.equal(webgpu.status, 'webgpu', 'the page runs on WebGPU');
    assert.equal(webgpu.label, cpu.label);
    assert.ok(Math.abs(webgpu.probability - cpu.probability) < 1e-3, `flex ${cpu.probability}, webgpu ${webgpu.probability}`);
    assert.equal(webgpu.seq, cpu.seq);
  });
});

describe('multilingual-e5-small (2.1), the default text model', () => {
  test('loads with progress; sentiment, tokens, attention, similar sentences and model facts; nothing leaves the page', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&backend=flex&lang=en`);
    const origin = new URL(site.server.url).origin;
    // Progress while the 18 MB of weights arrive and the encoder is built and warmed up.
    await page.waitForSelector(`${byId('model-status')}:is([data-state="downloading"], [data-state="loading"], [data-state="warming-up"])`, { timeout: 60_000 });
    await waitForModel(page);
    assert.equal(await page.$eval(byId('model'), (el) => el.value), 'e5-small', 'the pretrained encoder is the default');
    page.requests.length = 0;

    await page.waitForSelector(byId('sentiment'));
    const first = await page.$eval(byId('sentiment'), (el) => ({ label: el.dataset.label, probability: Number(el.dataset.probability) }));
    assert.equal(first.label, 'positive', `今天天气真好 is positive (${first.probability})`);
    const tokens = await page.$$eval(`${byId('tokens')} .token`, (els) => els.map((e) => e.textContent));
    assert.equal(tokens[0], '<s>');
    assert.equal(tokens.at(-1), '</s>');
    assert.ok(tokens.includes('▁que') && tokens.includes('▁今天'), `SentencePiece pieces with the query prefix: ${tokens}`);

    const negative = await analyse(page, '质量太差了，用了两天就坏了，非常失望', '失望');
    assert.equal(negative.label, 'negative', `P ${negative.probability}`);

    // Where the encoder's time went, measured in the worker: every kind of the encoder's work,
    // as often as its 12 layers run it, within the pass's own time.
    const profile = await readProfile(page);
    const { calls, marked } = profile;
    assert.deepEqual(
      [calls.embeddings, calls.dense, calls['attention-scores'], calls.softmax, calls['attention-values'], calls.gelu, calls['layer-norm']],
      [1, 12 * 6, 12, 12, 12, 12, 12 * 2],
      JSON.stringify(profile),
    );
    assert.ok(marked > 0 && marked <= profile.total + 0.5, `ops ${marked} ms within the pass's ${profile.total} ms`);
    assert.ok(profile.ops.find(({ op }) => op === 'dense').ms > 0, 'the dense layers take time');

    const layers = await page.$$eval(`${byId('attention-layer')} option`, (els) => els.length);
    const heads = await page.$$eval(`${byId('attention-head')} option`, (els) => els.length);
    assert.deepEqual([layers, heads], [12, 12]);
    const pixels = () => page.$eval(byId('attention'), (c) => c.toDataURL());
    const before = await pixels();
    await page.selectOption(byId('attention-layer'), { value: '2' });
    await page.selectOption(byId('attention-head'), { value: '5' });
    await page.waitForFunction(() => document.querySelector('[data-testid="attention"]').dataset.head === '5');
    assert.notEqual(await pixels(), before, 'another layer and head draws another map');

    // Similar sentences: five held-out reviews, nearest first; a held-out review finds itself.
    const similar = async () => page.$$eval(`${byId('similar')} li`, (els) => els.map((e) => ({
      cosine: Number(e.dataset.cosine), text: e.querySelector('.text').textContent,
    })));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="similar"] li').length === 5);
    const rows = await similar();
    rows.slice(1).forEach((row, i) => assert.ok(row.cosine <= rows[i].cosine, 'sorted by cosine'));
    const held = rows[2].text;
    await page.fill(byId('text-input'), held);
    await page.waitForFunction((t) => {
      const first = document.querySelector('[data-testid="similar"] li .text');
      return first && first.textContent === t;
    }, held, { timeout: 60_000 });
    assert.ok((await similar())[0].cosine > 0.99, 'a held-out review is nearest to itself');

    assert.match(await page.textContent(byId('model-measurements')), /held-out sentiment accuracy: \d+\.\d+%/);
    assert.match(await page.textContent(byId('model-about')), /multilingual-e5-small/);

    const offsite = page.requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(offsite, [], 'no request left the page');
    assert.deepEqual(page.requests.filter((url) => !isPageIcon(url)), [], `requests while analysing: ${page.requests}`);
    await page.screenshot({ path: artifactPath('text-e5.png'), fullPage: true });
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('the model card says what the model is and what it measured, in Chinese too', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&backend=flex&lang=zh`);
    await waitForModel(page);
    assert.match(await page.textContent(byId('model-about')), /微软发布/);
    assert.match(await page.textContent(byId('model-measurements')), /留出评论情感准确率: \d+\.\d+%/);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('live fine-tuning of a fresh head on the pretrained encoder', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=text&backend=flex&lang=en`);
    await waitForModel(page);
    page.requests.length = 0;
    await page.click(byId('finetune-start'));
    await page.waitForFunction(() => !document.querySelector('[data-testid="finetune-start"]').disabled, null, { timeout: 180_000 });
    const losses = JSON.parse(await page.getAttribute(byId('finetune-loss'), 'data-losses'));
    assert.ok(losses.at(-1) < losses[0] * 0.5, `loss ${losses[0]} -> ${losses.at(-1)}`);
    const labels = await page.$$eval(`${byId('finetune-examples')} .label-toggle`, (els) => els.map((e) => Number(e.dataset.label)));
    const predicted = await page.$$eval(byId('finetune-prediction'), (els) => els.map((e) => Number(e.textContent.match(/(\d+)%/)[1]) / 100));
    labels.forEach((label, i) => assert.equal(predicted[i] > 0.5 ? 1 : 0, label, `example ${i}: P(+) ${predicted[i]}`));
    assert.deepEqual(page.requests, [], 'fine-tuning fetches nothing');
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('the page keeps drawing while the encoder analyses a long sentence in the worker (and in the page, for comparison)', async () => {
    const measure = async (where, page) => {
      await waitForModel(page);
      await page.waitForSelector(byId('sentiment'));
      const { seq, label, fps, longestGapMs } = await analyseLongest(page);
      const ms = (await page.textContent(byId('text-ms'))).trim();
      console.log(`# e5-small (flex, ${where}): ${seq} tokens analysed (${label}) in ${ms}; ${fps.toFixed(1)} frames/s meanwhile, longest frame gap ${longestGapMs.toFixed(0)} ms`);
      await page.close();
      return longestGapMs;
    };
    const url = `${site.server.url}/?demo=text&backend=flex&lang=en`;
    const inWorker = await measure('worker', await openPage(site.browser, url));
    const page = await openPage(site.browser, undefined, { serviceWorkers: 'block' });
    await page.route(/\/lab-worker\.js$/, (route) => route.fulfill({ status: 404, body: 'no workers here' }));
    await page.goto(url);
    const inPage = await measure('in the page', page);
    console.log(`# e5-small longest frame gap, worker / page: ${(inWorker / inPage).toFixed(2)}`);
    assert.ok(inWorker < 1000, `the page froze for ${inWorker.toFixed(0)} ms while the worker analysed`);
  });
});
