// End to end: article 2.3, antimicrobial peptides. modlamp's sets (unpacked by `cargo xtask
// setup`) are fetched and checked, the network and the composition baseline train live, the
// visitor's sequence gets P(antimicrobial) and a saliency, bad sequences get messages, and no
// request carries the sequence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, withSite } from './harness.mjs';

const site = withSite();

const MAGAININ = 'GIGKFLHSAKKFGKAFVGEIMNS';

/** The demo's numbers, read from its data attributes. */
async function readout(page) {
  return page.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid="${id}"]`);
    return {
      losses: JSON.parse(q('peptides-loss')?.dataset.losses || '[]'),
      cnn: Number(q('peptides-scores')?.dataset.cnn ?? NaN),
      baseline: Number(q('peptides-scores')?.dataset.baseline ?? NaN),
      probability: Number(q('peptides-probability')?.dataset.probability ?? NaN),
      saliency: JSON.parse(q('peptides-saliency')?.dataset.saliency || '[]'),
      epochs: q('peptides-epochs')?.textContent ?? '',
    };
  });
}

describe('antimicrobial peptides (2.3)', () => {
  test('trains live to a held-out accuracy beside the baseline, and reads a sequence with saliency', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=peptides&lang=en&backend=flex`);
    await page.waitForSelector(`${byId('peptides-train')}:not([disabled])`, { timeout: 60_000 });
    // Before training: an untrained reading of the default sequence is already there.
    await page.waitForSelector(byId('peptides-saliency'), { timeout: 60_000 });
    await page.click(byId('peptides-train'));
    await page.waitForFunction(
      () => document.querySelector('[data-testid="peptides-train"]')?.textContent.includes('Train')
        && JSON.parse(document.querySelector('[data-testid="peptides-loss"]')?.dataset.losses || '[]').length > 50,
      null,
      { timeout: 180_000 },
    );
    const trained = await readout(page);
    console.log(`peptides e2e (AMPvsTMset, flex, 30 epochs): network ${trained.cnn}, composition baseline ${trained.baseline}, P(AMP | magainin 2) ${trained.probability}`);
    assert.ok(trained.losses.at(-1) < trained.losses[0] * 0.5, `held-out loss falls: ${trained.losses[0]} -> ${trained.losses.at(-1)}`);
    assert.ok(trained.cnn >= 0.85, `network held-out accuracy ${trained.cnn}`);
    assert.ok(trained.baseline >= 0.7, `baseline held-out accuracy ${trained.baseline}`);
    assert.ok(trained.probability > 0.5, `magainin 2 is antimicrobial: ${trained.probability}`);
    assert.equal(trained.saliency.length, MAGAININ.length);
    assert.ok(trained.saliency.some((v) => Math.abs(v) > 1e-4), 'saliency is drawn');
    assert.equal(await page.locator(`${byId('peptides-saliency')} .residue`).count(), MAGAININ.length);

    // A transmembrane segment reads as not antimicrobial under the trained network.
    await page.getByRole('button', { name: 'glycophorin A TM' }).click();
    await page.waitForFunction(
      () => JSON.parse(document.querySelector('[data-testid="peptides-saliency"]')?.dataset.saliency || '[]').length === 23
        && Number(document.querySelector('[data-testid="peptides-probability"]')?.dataset.probability) < 0.5,
      null,
      { timeout: 30_000 },
    );
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('bad sequences get a clear message and nothing the visitor typed leaves the page', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=peptides&lang=en&backend=flex`);
    await page.waitForSelector(byId('peptides-saliency'), { timeout: 60_000 });
    const origin = new URL(site.server.url).origin;
    page.requests.length = 0;
    const problem = async (text) => {
      await page.fill(byId('peptides-input'), text);
      return page.textContent(byId('peptides-input-problem'), { timeout: 10_000 });
    };
    assert.match(await problem('KLAKBLAK'), /Character 5, `B`, is not an amino-acid letter/);
    assert.match(await problem('   '), /Type an amino-acid sequence/);
    assert.match(await problem('A'.repeat(150)), /150 residues; the model reads at most 100/);
    // A paste over the box's limit is refused whole; the sequence before it stays.
    await page.fill(byId('peptides-input'), 'kwkLFKKIGAVLKVL');
    await page.waitForFunction(() => JSON.parse(document.querySelector('[data-testid="peptides-saliency"]')?.dataset.saliency || '[]').length === 15, null, { timeout: 30_000 });
    await page.evaluate(() => {
      const box = document.querySelector('[data-testid="peptides-input"]');
      box.value = 'K'.repeat(5000);
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
    assert.match(await page.textContent(byId('peptides-input-problem')), /5000 characters, over the 1000-character limit/);
    assert.equal(await page.inputValue(byId('peptides-input')), 'kwkLFKKIGAVLKVL');
    // Nothing left for another origin, and no request carried the sequences.
    const offsite = page.requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(offsite, []);
    assert.deepEqual(page.requests.filter((url) => /KLAKBLAK|KWKLFKKIG|kwkLFKKIG/i.test(url)), [], `requests: ${page.requests}`);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('the larger set loads and trains in Chinese, and a broken data file is refused with a message', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=peptides&lang=zh&backend=flex&set=uniprot&opt=rmsprop`);
    await page.waitForSelector(`${byId('peptides-train')}:not([disabled])`, { timeout: 60_000 });
    assert.match(await page.textContent('body'), /训练 \d+ 条，测试 \d+ 条；43 条超过 100 个残基/);
    await page.click(byId('peptides-train'));
    await page.waitForFunction(() => JSON.parse(document.querySelector('[data-testid="peptides-loss"]')?.dataset.losses || '[]').length >= 4, null, { timeout: 180_000 });
    await page.click(byId('peptides-train'));
    const { losses } = await readout(page);
    assert.ok(losses.at(-1) < losses[0], `held-out loss falls on AMPvsUniProt: ${losses}`);
    assertNoConsoleErrors(page);
    await page.close();

    // On ndarray the page says that this demo's convolutions are slow there.
    const slow = await openPage(site.browser, `${site.server.url}/?demo=peptides&lang=en&backend=ndarray`);
    assert.match(await slow.textContent(byId('peptides-ndarray-note'), { timeout: 60_000 }), /pick CPU \(flex\)/);
    await slow.close();

    // A changed file fails its sha256 check: the demo says so and the rest of the page lives.
    const broken = await openPage(site.browser);
    await broken.route('**/assets/peptides/AMPvsTMset.csv', (route) => route.fulfill({ status: 200, body: 'x'.repeat(11_194) }));
    await broken.goto(`${site.server.url}/?demo=peptides&lang=en&backend=flex`);
    assert.match(await broken.textContent(byId('peptides-problem'), { timeout: 60_000 }), /could not be loaded.*sha256/i);
    assert.ok(await broken.isVisible('.shell-header'), 'the shell is still there');
    await broken.close();
  });
});
