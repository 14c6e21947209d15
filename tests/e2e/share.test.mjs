// End to end: share and keep. "Copy link" puts the page's address on the clipboard, and that
// link, opened in a fresh page, shows the same state (the optimizer race, the loss landscape,
// augmentation, the text demo), drawn the same where drawing is deterministic; bad values in a
// link fall back to defaults; a refused clipboard shows the link to copy by hand; charts and
// value maps save as real PNG files.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { artifactPath, assertNoConsoleErrors, byId, openPage, repoRoot, withSite } from './harness.mjs';

const site = withSite();
const CLIPBOARD = ['clipboard-read', 'clipboard-write'];

/** A page on `?query` holding the clipboard permissions, once the demo is on it. */
async function open(query, mounted = 'main.demo') {
  const page = await openPage(site.browser, `${site.server.url}/?${query}`, { permissions: CLIPBOARD });
  await page.waitForSelector(mounted);
  return page;
}

/** Clicks "Copy link", waits for the confirmation and returns what the clipboard holds. */
async function copyLink(page) {
  await page.click(byId('copy-link'));
  await page.waitForSelector(byId('link-copied'));
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url(), 'the clipboard holds the page\'s address');
  return link;
}

/** The SHA-256 of a canvas's RGBA pixels, computed in the page. */
const canvasDigest = (page, selector) =>
  page.$eval(selector, async (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  });

/** Sets a number field and fires the change the page listens to. */
async function setField(page, id, value) {
  await page.fill(byId(id), String(value));
  await page.dispatchEvent(byId(id), 'change');
}

/**
 * A PNG file read back: its width and height from IHDR, and its pixels decoded (zlib, then the
 * five scanline filters) into a count of distinct colours and the share of pixels not white.
 */
function readPng(bytes) {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let offset = 8;
  let header;
  const data = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), depth: body[8], colour: body[9], interlace: body[12] };
    }
    if (type === 'IDAT') data.push(body);
    offset += 12 + length;
  }
  assert.ok(header, 'an IHDR chunk');
  assert.equal(header.depth, 8);
  assert.equal(header.interlace, 0);
  const channels = { 2: 3, 6: 4 }[header.colour];
  assert.ok(channels, `colour type ${header.colour}`);
  const raw = zlib.inflateSync(Buffer.concat(data));
  const stride = header.width * channels;
  assert.equal(raw.length, header.height * (stride + 1), 'the pixel data fills the image');
  const pixels = Buffer.alloc(header.height * stride);
  for (let y = 0; y < header.height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x];
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const corner = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      const paeth = () => {
        const p = left + up - corner;
        const [a, b, c] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - corner)];
        return a <= b && a <= c ? left : b <= c ? up : corner;
      };
      const predicted = [0, left, up, (left + up) >> 1, paeth()][filter];
      assert.notEqual(predicted, undefined, `filter ${filter}`);
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  const colours = new Set();
  let notWhite = 0;
  for (let p = 0; p < pixels.length; p += channels) {
    const [r, g, b] = [pixels[p], pixels[p + 1], pixels[p + 2]];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 250 || g < 250 || b < 250) notWhite += 1;
  }
  return { ...header, colours: colours.size, notWhite: notWhite / (header.width * header.height) };
}

/** Clicks a save button and returns the downloaded file's name and bytes (kept in artifacts/). */
async function savePng(page, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(byId(`save-png-${name}`))]);
  const file = download.suggestedFilename();
  await download.saveAs(artifactPath(file));
  return { file, bytes: fs.readFileSync(artifactPath(file)) };
}

const raceRows = (page) => page.$$eval(byId('race-run'), (rows) => rows.length);
const raceLosses = (page, n) => Promise.all([...Array(n).keys()].map((i) => page.textContent(byId(`race-test-loss-${i}`))));
const raceWon = (page) =>
  page.waitForFunction(() => document.querySelector('[data-testid="race-winner"]').textContent.includes('Winner'), null, { timeout: 120_000 });

describe('share links and PNG export', () => {
  test('the race: a copied link brings back the data, finish line, seed, runners, learning rates and hyper-parameters, and the same losses; its chart saves as PNG', async () => {
    const page = await open('demo=optimizers&backend=flex&lang=en');
    await page.selectOption(byId('race-data'), 'xor');
    await setField(page, 'race-finish', 100);
    await page.selectOption(byId('race-kind-0'), 'adam');
    await setField(page, 'race-lr-0', 0.02);
    await setField(page, 'race-0-0', 0.8);
    await page.click(byId('race-add'));
    assert.equal(await raceRows(page), 5);
    await page.click(byId('race-reseed'));
    assert.equal(await page.textContent(byId('race-seed')), 'Seed 8');
    await page.click(byId('race-play'));
    await raceWon(page);
    const losses = await raceLosses(page, 5);
    const link = await copyLink(page);
    assert.match(new URL(link).searchParams.get('runs'), /^adam:0\.02:0\.8:0\.999:/);
    assert.equal(new URL(link).searchParams.get('seed'), '8');

    const again = await open(new URL(link).search.slice(1));
    assert.equal(await raceRows(again), 5);
    assert.equal(await again.inputValue(byId('race-data')), 'xor');
    assert.equal(await again.inputValue(byId('race-finish')), '100');
    assert.equal(await again.inputValue(byId('race-kind-0')), 'adam');
    assert.equal(await again.inputValue(byId('race-lr-0')), '0.02');
    assert.equal(await again.inputValue(byId('race-0-0')), '0.8');
    assert.equal(await again.inputValue(byId('race-kind-4')), 'adamw');
    assert.equal(await again.textContent(byId('race-seed')), 'Seed 8');
    await again.click(byId('race-play'));
    await raceWon(again);
    assert.deepEqual(await raceLosses(again, 5), losses, 'the same race gives the same test losses');

    // The chart is saved at twice its displayed size, with its lines drawn.
    const shown = await page.$eval(byId('chart-test-loss'), (svg) => svg.getBoundingClientRect().toJSON());
    const { file, bytes } = await savePng(page, 'test-loss');
    assert.equal(file, 'optimizers-test-loss.png');
    const png = readPng(bytes);
    assert.deepEqual([png.width, png.height], [Math.round(shown.width * 2), Math.round(shown.height * 2)]);
    assert.ok(png.colours >= 6, `${png.colours} colours: five runners' lines, axes and white`);
    assert.ok(png.notWhite > 0.005 && png.notWhite < 0.5, `${(png.notWhite * 100).toFixed(2)}% of the chart drawn`);
    console.log(`# race chart PNG: ${png.width}×${png.height}, ${bytes.length} bytes, ${png.colours} colours`);
    assertNoConsoleErrors(page);
    assertNoConsoleErrors(again);
    await Promise.all([page.close(), again.close()]);
  });

  test('the landscape: a copied link brings back the surface, the start point and the walking optimizers, drawn the same; the map saves as PNG', async () => {
    const page = await open('demo=landscape&backend=flex&lang=en');
    await page.selectOption(byId('landscape-surface'), 'bowl');
    await page.uncheck(byId('landscape-use-momentum'));
    await page.click(byId('landscape-canvas'), { position: { x: 97, y: 301 } });
    const done = (p) =>
      p.waitForFunction(() => {
        const list = document.querySelector('[data-testid="landscape-paths"]');
        return list.querySelectorAll('li').length === 4 && list.dataset.points === String(4 * 301) && list.dataset.shown === '301';
      }, null, { timeout: 120_000 });
    await done(page);
    const state = (p) =>
      p.evaluate(() => ({
        start: document.querySelector('[data-testid="landscape-start"]').textContent,
        ends: [...document.querySelectorAll('[data-testid="landscape-paths"] li')].map((li) => li.textContent),
        walking: [...document.querySelectorAll('[data-testid^="landscape-use-"]')].map((box) => box.checked),
      }));
    const before = await state(page);
    assert.notEqual(before.start, 'Start (-1.50, 1.50): click the map to move it', 'the click moved the start');
    assert.deepEqual(before.walking, [true, false, true, true, true]);
    const link = await copyLink(page);

    const again = await open(new URL(link).search.slice(1));
    await done(again);
    assert.equal(await again.inputValue(byId('landscape-surface')), 'bowl');
    assert.deepEqual(await state(again), before);
    assert.equal(await canvasDigest(again, byId('landscape-canvas')), await canvasDigest(page, byId('landscape-canvas')), 'the same picture');

    const { file, bytes } = await savePng(again, 'paths');
    assert.equal(file, 'landscape-paths.png');
    const png = readPng(bytes);
    assert.deepEqual([png.width, png.height], [420, 420]);
    assert.ok(png.colours > 10, `${png.colours} colours in the saved map`);
    console.log(`# landscape PNG: ${png.width}×${png.height}, ${bytes.length} bytes, ${png.colours} colours`);
    assertNoConsoleErrors(page);
    assertNoConsoleErrors(again);
    await Promise.all([page.close(), again.close()]);
  });

  test('augmentation: a copied link brings back the sample, seed, grid size and ops, and the same grid; the visitor\'s own photo is said to stay out', async () => {
    const gridDone = (p, seed, count) =>
      p.waitForFunction(({ seed, count }) => {
        const done = document.querySelector('[data-testid="augment-grid"]')?.dataset.done ?? '';
        const [, s, n] = done.split(':');
        return s === String(seed) && n === String(count) && document.querySelector('[data-testid="photo-name"]').textContent.startsWith('rocket');
      }, { seed, count }, { timeout: 60_000 });
    const grid = (p) =>
      p.$$eval(`${byId('augment-grid')} canvas`, (canvases) =>
        Promise.all(canvases.map(async (canvas) => {
          const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
          return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
        })));
    const page = await open('demo=augment&lang=en');
    await page.click(byId('sample-rocket.jpg'));
    await page.fill(byId('seed'), '4242');
    await page.press(byId('seed'), 'Enter');
    await page.locator(byId('seed')).blur();
    await page.selectOption(byId('count'), '4');
    await page.uncheck(byId('op-hflip'));
    await page.check(byId('op-noise'));
    await setField(page, 'strength-noise', 30);
    await gridDone(page, 4242, 4);
    const drawn = await grid(page);
    assert.equal(new Set(drawn).size, 4, 'four different variants');
    const link = await copyLink(page);
    assert.equal(new URL(link).searchParams.get('photo'), 'rocket.jpg');

    const again = await open(new URL(link).search.slice(1));
    await gridDone(again, 4242, 4);
    assert.equal(await again.inputValue(byId('seed')), '4242');
    assert.equal(await again.inputValue(byId('count')), '4');
    assert.equal(await again.isChecked(byId('op-hflip')), false);
    assert.equal(await again.isChecked(byId('op-noise')), true);
    assert.equal(await again.inputValue(byId('strength-noise')), '30');
    // The first page's grid read again: `done` names the seed and count, not the strengths, so
    // the grid read above may have been the one drawn just before the noise strength changed.
    await gridDone(page, 4242, 4);
    assert.deepEqual(await grid(again), await grid(page), 'the same grid, pixel for pixel');

    // The visitor's own photo: the page says it is not in the link, which opens a sample.
    assert.equal(await page.isVisible(byId('own-photo-link')), false);
    const coffee = fs.readFileSync(path.join(repoRoot, 'www', 'assets', 'samples', 'coffee.png'));
    await page.setInputFiles(byId('photo-file'), { name: 'mine.png', mimeType: 'image/png', buffer: coffee });
    await page.waitForSelector(byId('own-photo-link'));
    await page.waitForFunction(() => !new URL(location.href).searchParams.get('photo'));
    const own = await copyLink(page);
    const third = await open(new URL(own).search.slice(1));
    await third.waitForFunction(() => document.querySelector('[data-testid="photo-name"]').textContent.startsWith('chelsea.png'));
    assert.equal(await third.inputValue(byId('seed')), '4242');
    for (const p of [page, again, third]) assertNoConsoleErrors(p);
    await Promise.all([page.close(), again.close(), third.close()]);
  });

  test('text: a copied link brings back the sentence, the model and the fine-tuning sentences, with the same analysis; a long text keeps its first 500 characters, said', async () => {
    const ready = (p) => p.waitForSelector(`${byId('model-status')}[data-state="ready"]`, { timeout: 120_000 });
    const analysed = (p, probe) =>
      p.waitForFunction((probe) => [...document.querySelectorAll('[data-testid="tokens"] .token')].some((t) => t.textContent === probe), probe, { timeout: 60_000 });
    const sentiment = (p) => p.$eval(byId('sentiment'), (el) => ({ label: el.dataset.label, probability: el.dataset.probability }));
    const page = await open('demo=text&model=lab-bert-zh&backend=flex&lang=en');
    await ready(page);
    const sentence = '质量太差了，用了两天就坏，再也不买了。';
    await page.fill(byId('text-input'), sentence);
    await analysed(page, '坏');
    await page.waitForFunction((s) => new URL(location.href).searchParams.get('text') === s, sentence);
    assert.equal(new URL(page.url()).searchParams.has('examples'), false, 'the default sentences add nothing to the link');
    const first = await sentiment(page);
    // The fine-tuning sentences: one rewritten, one label flipped, one removed.
    const finetuneInputs = (p) => p.$$eval(`${byId('finetune-examples')} input`, (inputs) => inputs.map((i) => i.value));
    const finetuneLabels = (p) => p.$$eval(`${byId('finetune-examples')} .label-toggle`, (buttons) => buttons.map((b) => b.dataset.label));
    const firstSentence = page.locator(`${byId('finetune-examples')} input`).first();
    await firstSentence.fill('物流很快，包装也好');
    await firstSentence.blur();
    await page.locator(`${byId('finetune-examples')} .label-toggle`).nth(1).click();
    await page.getByRole('button', { name: 'Remove sentence 6' }).click();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('examples')?.startsWith('1:物流很快'));
    const sentences = await finetuneInputs(page);
    const labels = await finetuneLabels(page);
    assert.equal(sentences.length, 5);
    assert.deepEqual(labels, ['1', '0', '1', '0', '0']);
    const link = await copyLink(page);
    assert.equal(new URL(link).searchParams.get('model'), 'lab-bert-zh');

    const again = await open(new URL(link).search.slice(1));
    await ready(again);
    assert.equal(await again.inputValue(byId('text-input')), sentence);
    await analysed(again, '坏');
    assert.deepEqual(await sentiment(again), first);
    assert.deepEqual(await finetuneInputs(again), sentences);
    assert.deepEqual(await finetuneLabels(again), labels);

    const long = '好'.repeat(450) + '坏'.repeat(150);
    await page.fill(byId('text-input'), long);
    await page.waitForSelector(byId('text-link-cut'));
    assert.match(await page.textContent(byId('text-link-cut')), /600 characters: a link keeps only the first 500/);
    await page.waitForFunction(() => new URL(location.href).searchParams.get('text')?.length === 500);
    const cut = await copyLink(page);
    const third = await open(new URL(cut).search.slice(1));
    assert.equal(await third.inputValue(byId('text-input')), long.slice(0, 500));

    // Fine-tuning sentences past the link's 500 characters: whole sentences are kept, said.
    const longSentence = (i) => `${i}`.repeat(200);
    for (let i = 0; i < 4; i += 1) {
      await page.click(byId('finetune-add'));
      const added = page.locator(`${byId('finetune-examples')} input`).last();
      await added.fill(longSentence(i));
      await added.blur();
    }
    await page.waitForSelector(byId('finetune-link-cut'));
    assert.match(await page.textContent(byId('finetune-link-cut')), /9 sentences: a link keeps only the first 7 \(500 characters at most\)/);
    const fourth = await open(new URL(await copyLink(page)).search.slice(1));
    await ready(fourth);
    assert.deepEqual(await finetuneInputs(fourth), [...sentences, longSentence(0), longSentence(1)]);
    await fourth.close();
    for (const p of [page, again, third]) assertNoConsoleErrors(p);
    await Promise.all([page.close(), again.close(), third.close()]);
  });

  test('the playground: the per-neuron maps and the weight histogram save as PNG', async () => {
    const page = await open('demo=playground&layers=4,3&backend=flex&lang=en', byId('network-canvas'));
    await page.click(byId('play'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) > 100, null, { timeout: 60_000 });
    await page.click(byId('play'));
    const network = await savePng(page, 'network');
    assert.equal(network.file, 'playground-network.png');
    const canvas = await page.$eval(byId('network-canvas'), (c) => [c.width, c.height]);
    const maps = readPng(network.bytes);
    assert.deepEqual([maps.width, maps.height], canvas);
    assert.ok(maps.colours > 20, `${maps.colours} colours in the neurons' maps`);

    const shown = await page.$eval(byId('weight-histogram'), (svg) => svg.getBoundingClientRect().toJSON());
    const histogram = await savePng(page, 'weight-histogram');
    assert.equal(histogram.file, 'playground-weight-histogram.png');
    const bars = readPng(histogram.bytes);
    assert.deepEqual([bars.width, bars.height], [Math.round(shown.width * 2), Math.round(shown.height * 2)]);
    assert.ok(bars.notWhite > 0.01 && bars.notWhite < 0.9, `${(bars.notWhite * 100).toFixed(2)}% of the histogram drawn`);
    console.log(`# playground PNGs: network ${maps.width}×${maps.height} (${maps.colours} colours), histogram ${bars.width}×${bars.height}`);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('bad values in a link fall back to the defaults, with no error', async () => {
    const race = await open('demo=optimizers&runs=adam:0.01:7,zzz:1,sgd:-1&data=nope&finish=-3&seed=-2&backend=flex&lang=en');
    assert.equal(await raceRows(race), 1);
    assert.equal(await race.inputValue(byId('race-kind-0')), 'adam');
    assert.equal(await race.inputValue(byId('race-0-0')), '0.9', 'β₁ = 7 is refused for the default');
    assert.equal(await race.inputValue(byId('race-data')), 'circle');
    assert.equal(await race.inputValue(byId('race-finish')), '1500');
    assert.equal(await race.textContent(byId('race-seed')), 'Seed 7');

    const landscape = await open('demo=landscape&surface=nope&start=99,NaN&paths=zzz&backend=flex&lang=en');
    assert.equal(await landscape.inputValue(byId('landscape-surface')), 'rosenbrock');
    assert.match(await landscape.textContent(byId('landscape-start')), /Start \(-1\.50, 2\.50\)/);
    for (const id of ['sgd', 'momentum', 'nesterov', 'adam', 'rmsprop']) {
      assert.equal(await landscape.isChecked(byId(`landscape-use-${id}`)), true, id);
    }

    const augment = await open('demo=augment&seed=abc&n=7&photo=../../etc/passwd&ops=rotate:999,nope:1&lang=en');
    await augment.waitForFunction(() => document.querySelector('[data-testid="photo-name"]').textContent.startsWith('chelsea.png'));
    assert.equal(await augment.inputValue(byId('seed')), '1');
    assert.equal(await augment.inputValue(byId('count')), '8');
    assert.equal(await augment.isChecked(byId('op-hflip')), true);
    assert.equal(await augment.inputValue(byId('strength-rotate')), '15');

    const text = await open('demo=text&text=%20%20&examples=2:x%0Anope&lang=en');
    assert.equal(await text.inputValue(byId('text-input')), '今天天气真好');
    assert.equal(await text.locator(`${byId('finetune-examples')} input`).first().inputValue(), '这家店的服务真周到');

    for (const p of [race, landscape, augment, text]) {
      assertNoConsoleErrors(p);
      await p.close();
    }
  });

  test('a refused clipboard shows the link selected to copy by hand; an embedded demo offers no link', async () => {
    const page = await openPage(site.browser, null);
    await page.addInitScript(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));
    });
    await page.goto(`${site.server.url}/?demo=landscape&surface=saddle&backend=flex&lang=en`);
    await page.click(byId('copy-link'));
    await page.waitForSelector(byId('link-field'));
    assert.equal(await page.isVisible(byId('link-copied')), false);
    const field = await page.$eval(byId('link-field'), (input) => ({
      value: input.value,
      readOnly: input.readOnly,
      selected: input.selectionStart === 0 && input.selectionEnd === input.value.length,
    }));
    assert.deepEqual(field, { value: page.url(), readOnly: true, selected: true });
    assert.match(field.value, /surface=saddle/);

    const embedded = await open('demo=landscape&embed=1&backend=flex&lang=en', byId('landscape-canvas'));
    assert.equal(await embedded.$(byId('copy-link')), null);
    for (const p of [page, embedded]) {
      assertNoConsoleErrors(p);
      await p.close();
    }
  });
});
