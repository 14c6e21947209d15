// End to end: "Download weights" and "Load weights". A model trained a little through the UI is
// downloaded, a fresh (untrained) page loads the file, and the page then shows the same figures
// the trained one did, to the digits shown; a file of another demo and a truncated file are
// refused in both languages while the demo keeps its model and keeps working.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, withSite } from './harness.mjs';

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
});
