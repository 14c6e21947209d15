// End to end: "Download weights" and "Load weights". A model trained a little through the UI is
// downloaded, a fresh (untrained) page loads the file, and the page then shows the same figures
// the trained one did, to the digits shown (the speech network, which hears live sound, tells
// the same words apart); a file of another demo and a truncated file are refused in both
// languages while the demo keeps its model and keeps working.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, speechTopCounts, withSite } from './harness.mjs';

const site = withSite();

/** Clicks `prefix`'s "Download weights" and returns the file's name and bytes. */
async function download(page, prefix) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(byId(`${prefix}-weights-save`))]);
  const bytes = fs.readFileSync(await file.path());
  return { name: file.suggestedFilename(), bytes };
}

/** Hands `file` to `prefix`'s "Load weights" input. */
async function upload(page, prefix, { name, bytes }) {
  await page.setInputFiles(byId(`${prefix}-weights-load`), { name, mimeType: 'application/octet-stream', buffer: bytes });
}

async function refusal(page, prefix) {
  await page.waitForSelector(byId(`${prefix}-weights-problem`));
  return page.textContent(byId(`${prefix}-weights-problem`));
}

/** The refusal in English, then (after switching the page's language) in Chinese. */
async function bothLanguages(page, prefix) {
  const en = await refusal(page, prefix);
  await page.click(byId('lang-toggle'));
  await page.waitForFunction((id) => /[\u4e00-\u9fff]/.test(document.querySelector(`[data-testid="${id}"]`).textContent), `${prefix}-weights-problem`);
  const zh = await refusal(page, prefix);
  await page.click(byId('lang-toggle'));
  return { en, zh };
}

/**
 * A weights file written here, by the format's description (lab_core::saved): magic, version,
 * payload length, sha256, then a safetensors payload with no tensors whose metadata names `demo`.
 */
function weightsFileOf(demo) {
  const json = Buffer.from(JSON.stringify({ __metadata__: { demo, model: 'mlp-v1', steps: '1' } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const payload = Buffer.concat([length, json]);
  const header = Buffer.alloc(16);
  header.write('OMLW', 0, 'latin1');
  header.writeUInt32LE(1, 4);
  header.writeBigUInt64LE(BigInt(payload.length), 8);
  return Buffer.concat([header, createHash('sha256').update(payload).digest(), payload]);
}

const playgroundUrl = () => `${site.server.url}/?demo=playground&data=xor&layers=6,4&act=relu&lr=0.03&batch=8&backend=flex&lang=en`;

async function playgroundFigures(page) {
  return page.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid="${id}"]`);
    return { steps: q('step-count').textContent, train: q('train-loss').dataset.value, test: q('test-loss').dataset.value };
  });
}

describe('weights files', () => {
  test('playground: a downloaded network loads into a fresh page with its setup, steps and losses', async () => {
    const page = await openPage(site.browser, playgroundUrl());
    await page.waitForFunction(() => document.querySelector('[data-testid="train-loss"]')?.dataset.value, null, { timeout: 60_000 });
    await page.click(byId('play'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) > 300, null, { timeout: 60_000 });
    await page.click(byId('play'));
    await page.waitForTimeout(300);
    const trained = await playgroundFigures(page);
    const file = await download(page, 'playground');
    assert.match(file.name, new RegExp(`^playground-mlp-v1-step${trained.steps}-\\d{4}-\\d\\d-\\d\\d\\.omlw$`));
    assert.equal(file.bytes.subarray(0, 4).toString('latin1'), 'OMLW');

    // A fresh page with the default setup (another network shape): the file brings its own.
    const fresh = await openPage(site.browser, `${site.server.url}/?demo=playground&backend=flex&lang=en`);
    await fresh.waitForFunction(() => document.querySelector('[data-testid="train-loss"]')?.dataset.value, null, { timeout: 60_000 });
    assert.notEqual((await playgroundFigures(fresh)).train, trained.train);
    await upload(fresh, 'playground', file);
    await fresh.waitForFunction((steps) => document.querySelector('[data-testid="step-count"]').textContent === steps, trained.steps, { timeout: 30_000 });
    assert.deepEqual(await playgroundFigures(fresh), trained);
    assert.match(await fresh.textContent(byId('playground-weights-status')), new RegExp(`Loaded ${file.name}: trained for ${trained.steps} steps`));
    const url = new URL(fresh.url());
    assert.equal(url.searchParams.get('layers'), '6,4');
    assert.equal(url.searchParams.get('act'), 'relu');
    assert.equal(url.searchParams.get('data'), 'xor');

    // A truncated copy is refused in both languages; the network stays, and trains on.
    await upload(fresh, 'playground', { name: 'cut.omlw', bytes: file.bytes.subarray(0, file.bytes.length - 100) });
    const cut = await bothLanguages(fresh, 'playground');
    assert.match(cut.en, /incomplete: \d+ of \d+ bytes.*unchanged/);
    assert.match(cut.zh, /不完整.*保持不变/);
    assert.deepEqual(await playgroundFigures(fresh), trained);
    await fresh.click(byId('play'));
    await fresh.waitForFunction((n) => Number(document.querySelector('[data-testid="step-count"]').textContent) > n + 50, Number(trained.steps), { timeout: 60_000 });
    await fresh.click(byId('play'));
    for (const p of [page, fresh]) {
      assertNoConsoleErrors(p);
      await p.close();
    }
  });

  test('peptides: both trained models load into a fresh page; another demo\'s file and a damaged one are refused', async () => {
    const url = `${site.server.url}/?demo=peptides&lang=en&backend=flex`;
    const figures = (page) => page.evaluate(() => {
      const q = (id) => document.querySelector(`[data-testid="${id}"]`);
      return { scores: q('peptides-scores').innerText, probability: q('peptides-probability').dataset.probability, epochs: q('peptides-epochs').textContent };
    });
    const page = await openPage(site.browser, url);
    await page.waitForSelector(`${byId('peptides-train')}:not([disabled])`, { timeout: 60_000 });
    await page.click(byId('peptides-train'));
    // The run stops by itself at its last epoch, right after an evaluation of those weights.
    await page.waitForFunction(() => {
      const q = (id) => document.querySelector(`[data-testid="${id}"]`);
      return q('peptides-train').textContent.includes('Train') && JSON.parse(q('peptides-loss').dataset.losses || '[]').length > 50;
    }, null, { timeout: 180_000 });
    await page.waitForTimeout(500);
    const trained = await figures(page);
    const file = await download(page, 'peptides');
    assert.match(file.name, /^peptides-peptide-cnn-and-composition-v1-step\d+-[\d-]+\.omlw$/);

    const fresh = await openPage(site.browser, url);
    await fresh.waitForSelector(byId('peptides-scores'), { timeout: 60_000 });
    await fresh.waitForSelector(byId('peptides-probability'), { timeout: 60_000 });
    assert.notDeepEqual(await figures(fresh), trained);
    await upload(fresh, 'peptides', file);
    await fresh.waitForSelector(byId('peptides-weights-status'), { timeout: 30_000 });
    await fresh.waitForFunction((p) => document.querySelector('[data-testid="peptides-probability"]')?.dataset.probability === p, trained.probability, { timeout: 30_000 });
    assert.deepEqual(await figures(fresh), trained);

    // The playground's file, then a damaged one: refused, and the models stay.
    await upload(fresh, 'peptides', { name: 'playground.omlw', bytes: weightsFileOf('playground') });
    const other = await bothLanguages(fresh, 'peptides');
    assert.match(other.en, /weights of the demo "playground".*unchanged/);
    assert.match(other.zh, /演示“playground”的权重/);
    const damaged = Buffer.from(file.bytes);
    damaged[damaged.length - 5] ^= 0xff;
    await upload(fresh, 'peptides', { name: 'damaged.omlw', bytes: damaged });
    await fresh.waitForFunction(() => /damaged or altered/.test(document.querySelector('[data-testid="peptides-weights-problem"]').textContent));
    await upload(fresh, 'peptides', { name: 'cut.omlw', bytes: file.bytes.subarray(0, 30) });
    await fresh.waitForFunction(() => /incomplete: 30 of 48 bytes/.test(document.querySelector('[data-testid="peptides-weights-problem"]').textContent));
    assert.deepEqual(await figures(fresh), trained);
    // The demo still reads a sequence with the loaded network.
    await fresh.getByRole('button', { name: 'glycophorin A TM' }).click();
    await fresh.waitForFunction((p) => document.querySelector('[data-testid="peptides-probability"]')?.dataset.probability !== p, trained.probability, { timeout: 30_000 });
    for (const p of [page, fresh]) {
      assertNoConsoleErrors(p);
      await p.close();
    }
  });

  test('text: a fine-tuned sentiment head loads into a fresh page and scores the sentences as before', async () => {
    const url = `${site.server.url}/?demo=text&model=lab-bert-zh&backend=flex&lang=en`;
    const predictions = (page) => page.$$eval(`${byId('finetune-prediction')}, ${byId('finetune-sentence')}`, (els) => els.map((e) => e.textContent));
    const page = await openPage(site.browser, url);
    await page.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 120_000 });
    await page.click(byId('finetune-start'));
    await page.waitForFunction(() => !document.querySelector('[data-testid="finetune-start"]').disabled, null, { timeout: 120_000 });
    await page.waitForSelector(byId('finetune-sentence'));
    const trained = await predictions(page);
    const file = await download(page, 'finetune');
    assert.match(file.name, /^text-sentiment-head-v1-step150-[\d-]+\.omlw$/);

    const fresh = await openPage(site.browser, url);
    await fresh.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 120_000 });
    assert.equal(await fresh.isDisabled(byId('finetune-weights-save')), true, 'nothing to save before training');
    await upload(fresh, 'finetune', file);
    await fresh.waitForSelector(byId('finetune-sentence'), { timeout: 60_000 });
    assert.deepEqual(await predictions(fresh), trained);
    assert.match(await fresh.textContent(byId('finetune-weights-status')), /trained for 150 steps/);
    for (const p of [page, fresh]) {
      assertNoConsoleErrors(p);
      await p.close();
    }
  });

  test('recommender: both trained models load into a fresh page with the same held-out RMSE and suggestions', async () => {
    const url = `${site.server.url}/?demo=recommend&lang=en&backend=flex`;
    const figures = (page) => page.evaluate(() => {
      const q = (id) => document.querySelector(`[data-testid="${id}"]`);
      const scores = q('recommend-scores');
      return { scores: scores.innerText, factorization: scores.dataset.factorization, biases: scores.dataset.biases, epochs: q('recommend-epochs').textContent };
    });
    const suggestions = async (page) => {
      await page.click(byId('recommend-example'));
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="recommend-suggestion"]').length === 10, null, { timeout: 30_000 });
      return page.locator(byId('recommend-suggestion')).allTextContents();
    };
    const page = await openPage(site.browser, url);
    await page.waitForSelector(`${byId('recommend-train')}:not([disabled])`, { timeout: 60_000 });
    await page.click(byId('recommend-train'));
    // The run stops by itself after its last epoch, right after an evaluation of those weights.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="recommend-train"]').textContent.includes('Train')
        && JSON.parse(document.querySelector('[data-testid="recommend-rmse"]').dataset.testRmse || '[]').length > 2,
      null,
      { timeout: 300_000 },
    );
    await page.waitForTimeout(300);
    const trained = await figures(page);
    const suggested = await suggestions(page);
    const file = await download(page, 'recommend');
    assert.match(file.name, /^recommend-biases-and-factorization-v1-step\d+-[\d-]+\.omlw$/);

    const fresh = await openPage(site.browser, url);
    await fresh.waitForSelector(byId('recommend-scores'), { timeout: 60_000 });
    assert.notEqual((await figures(fresh)).factorization, trained.factorization);
    await upload(fresh, 'recommend', file);
    await fresh.waitForSelector(byId('recommend-weights-status'), { timeout: 30_000 });
    await fresh.waitForFunction((f) => document.querySelector('[data-testid="recommend-scores"]')?.dataset.factorization === f, trained.factorization, { timeout: 30_000 });
    assert.deepEqual(await figures(fresh), trained);
    assert.deepEqual(await suggestions(fresh), suggested, 'the same suggestions from the loaded tastes');
    assert.match(await fresh.textContent(byId('recommend-weights-status')), /Loaded recommend-.*: trained for \d+ steps/);

    // The peptides' file and a damaged copy: refused in both languages, and the models stay.
    await upload(fresh, 'recommend', { name: 'peptides.omlw', bytes: weightsFileOf('peptides') });
    const other = await bothLanguages(fresh, 'recommend');
    assert.match(other.en, /weights of the demo "peptides".*unchanged/);
    assert.match(other.zh, /演示“peptides”的权重.*保持不变/);
    const damaged = Buffer.from(file.bytes);
    damaged[damaged.length - 9] ^= 0xff;
    await upload(fresh, 'recommend', { name: 'damaged.omlw', bytes: damaged });
    await fresh.waitForFunction(() => /damaged or altered/.test(document.querySelector('[data-testid="recommend-weights-problem"]').textContent));
    assert.deepEqual(await figures(fresh), trained);
    for (const p of [page, fresh]) {
      assertNoConsoleErrors(p);
      await p.close();
    }
  });

  test('speech: a keyword network loads into a fresh page with its class names and tells the same voices apart', async () => {
    const url = `${site.server.url}/?demo=speech&lang=en&backend=flex&source=arctic`;
    const examples = (page, i) => page.evaluate((i) => Number(document.querySelector(`[data-testid="speech-examples-${i}"]`).dataset.count), i);
    const record = async (page, i, n) => {
      for (let k = 0; k < n; k += 1) {
        const before = await examples(page, i);
        await page.click(byId(`speech-record-${i}`));
        await page.waitForFunction(({ i, before }) => Number(document.querySelector(`[data-testid="speech-examples-${i}"]`).dataset.count) === before + 1, { i, before }, { timeout: 10_000 });
      }
    };
    const listenTo = async (page, source) => {
      await page.selectOption(byId('speech-source'), source);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="speech-spectrogram"]').dataset.frames) > 150, null, { timeout: 20_000 });
    };
    const recognises = async (page) => {
      await listenTo(page, 'arctic');
      await page.waitForSelector(byId('speech-probability-1'), { timeout: 10_000 });
      const arctic = await speechTopCounts(page, 3_000);
      await listenTo(page, 'jfk');
      const jfk = await speechTopCounts(page, 3_000);
      assert.ok(arctic[0] > 2 * arctic[1], `ARCTIC recognised: ${arctic}`);
      assert.ok(jfk[1] > 2 * jfk[0], `JFK recognised: ${jfk}`);
      return { arctic, jfk };
    };

    const page = await openPage(site.browser, url);
    await page.click(byId('speech-listen'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="speech-spectrogram"]').dataset.frames) > 100, null, { timeout: 20_000 });
    await page.click(byId('speech-remove-class'));
    await page.fill(byId('speech-word-0'), 'ARCTIC');
    await page.fill(byId('speech-word-1'), 'JFK');
    assert.equal(await page.isDisabled(byId('speech-weights-save')), true, 'nothing to save before training');
    await record(page, 0, 3);
    await listenTo(page, 'jfk');
    await record(page, 1, 3);
    await page.click(byId('speech-train'));
    await page.waitForFunction(
      () => document.querySelector('[data-testid="speech-train"]').textContent.includes('Train')
        && JSON.parse(document.querySelector('[data-testid="speech-loss"]').dataset.losses || '[]').length >= 2,
      null,
      { timeout: 120_000 },
    );
    const before = await recognises(page);
    const file = await download(page, 'speech');
    assert.match(file.name, /^speech-keyword-cnn-v1-step\d+-[\d-]+\.omlw$/);
    const steps = file.name.match(/step(\d+)/)[1];

    // A fresh page with no examples and the default three classes takes the file's two.
    const fresh = await openPage(site.browser, url);
    await fresh.waitForSelector(byId('speech-word-2'));
    await upload(fresh, 'speech', file);
    await fresh.waitForSelector(byId('speech-weights-status'), { timeout: 30_000 });
    assert.match(await fresh.textContent(byId('speech-weights-status')), new RegExp(`Loaded ${file.name}: trained for ${steps} steps`));
    assert.equal(await fresh.inputValue(byId('speech-word-0')), 'ARCTIC');
    assert.equal(await fresh.inputValue(byId('speech-word-1')), 'JFK');
    assert.equal(await fresh.$(byId('speech-word-2')), null);
    assert.equal(await fresh.isDisabled(byId('speech-weights-save')), false, 'a loaded network can be saved again');
    await fresh.click(byId('speech-listen'));
    const after = await recognises(fresh);
    console.log(`# speech: before saving ${JSON.stringify(before)}, after loading ${JSON.stringify(after)}`);

    // The playground's file and a truncated copy: refused in both languages; the classes stay.
    await upload(fresh, 'speech', { name: 'playground.omlw', bytes: weightsFileOf('playground') });
    const other = await bothLanguages(fresh, 'speech');
    assert.match(other.en, /weights of the demo "playground".*unchanged/);
    assert.match(other.zh, /演示“playground”的权重.*保持不变/);
    await upload(fresh, 'speech', { name: 'cut.omlw', bytes: file.bytes.subarray(0, file.bytes.length - 7) });
    await fresh.waitForFunction(() => /incomplete/.test(document.querySelector('[data-testid="speech-weights-problem"]').textContent));
    assert.equal(await fresh.inputValue(byId('speech-word-0')), 'ARCTIC');
    await recognises(fresh);
    for (const p of [page, fresh]) {
      assertNoConsoleErrors(p);
      await p.close();
    }
  });
});
