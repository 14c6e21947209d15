// End to end: article 2.3, recommender systems. The MovieLens asset (converted by `cargo xtask
// setup`) is fetched and checked, matrix factorisation and the bias-only model train live, the
// visitor rates movies and gets explained suggestions and a map, and no request carries their
// ratings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, withSite } from './harness.mjs';

const site = withSite();

async function scores(page) {
  return page.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid="${id}"]`);
    return {
      curve: JSON.parse(q('recommend-rmse')?.dataset.testRmse || '[]'),
      factorization: Number(q('recommend-scores')?.dataset.factorization ?? NaN),
      biases: Number(q('recommend-scores')?.dataset.biases ?? NaN),
      mean: Number(q('recommend-scores')?.dataset.mean ?? NaN),
    };
  });
}

describe('movie recommender (2.3)', () => {
  test('trains live below the bias-only model, and suggests movies to a visitor whose ratings never leave the page', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=recommend&lang=en&backend=flex`);
    await page.waitForSelector(`${byId('recommend-train')}:not([disabled])`, { timeout: 60_000 });
    const origin = new URL(site.server.url).origin;
    await page.click(byId('recommend-train'));
    // The page stops by itself after its 14 epochs. The first evaluation is made before any
    // step, so a run that has stopped shows two at least.
    await page.waitForFunction(
      () => document.querySelector('[data-testid="recommend-train"]')?.textContent.includes('Train')
        && JSON.parse(document.querySelector('[data-testid="recommend-rmse"]')?.dataset.testRmse || '[]').length >= 2,
      null,
      { timeout: 300_000 },
    );
    const trained = await scores(page);
    // One evaluation every half epoch from 0 to 14, however many steps this machine fits in a frame.
    assert.equal(trained.curve.length, 29, `held-out RMSE at each half epoch: ${trained.curve}`);
    console.log(`# recommender e2e (flex, 14 epochs): held-out RMSE factorisation ${trained.factorization}, biases ${trained.biases}, global mean ${trained.mean}`);
    assert.ok(trained.curve.at(-1) < trained.curve[0], `held-out RMSE falls: ${trained.curve}`);
    assert.ok(trained.factorization < trained.biases, `factorisation ${trained.factorization} below biases ${trained.biases}`);
    assert.ok(trained.biases < trained.mean, `biases ${trained.biases} below the mean ${trained.mean}`);

    // The visitor searches, rates, and is folded in.
    page.requests.length = 0;
    await page.fill(byId('recommend-search'), 'zzqqx');
    assert.match(await page.textContent(byId('recommend-no-match')), /No movie title contains “zzqqx”/);
    await page.fill(byId('recommend-search'), 'toy story');
    await page.waitForSelector(byId('recommend-match'));
    assert.match(await page.textContent(byId('recommend-matches')), /Toy Story \(1995\)/);
    const first = page.locator(byId('recommend-match')).filter({ hasText: 'Toy Story (1995)' });
    await first.locator('select').selectOption('5');
    await first.locator(byId('recommend-rate')).click();
    await page.fill(byId('recommend-search'), 'shining');
    await page.locator(byId('recommend-match')).filter({ hasText: 'Shining, The (1980)' }).locator('select').selectOption('0.5');
    await page.locator(byId('recommend-match')).filter({ hasText: 'Shining, The (1980)' }).locator(byId('recommend-rate')).click();
    assert.match(await page.textContent(byId('recommend-rated')), /Toy Story \(1995\) · 5\.0 ★[\s\S]*Shining, The \(1980\) · 0\.5 ★/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="recommend-suggestion"]').length === 10, null, { timeout: 30_000 });
    const suggestions = await page.locator(byId('recommend-suggestion')).allTextContents();
    console.log(`# suggestions for Toy Story 5, The Shining 0.5: ${suggestions.slice(0, 3).join(' | ')}`);
    assert.ok(suggestions.every((s) => !/Toy Story \(1995\)|Shining, The/.test(s.split(' · ')[0])), 'rated movies are not suggested');
    // A suggestion that the visitor's ratings pulled down overall (a film liked by everyone) has no
    // reason to show; most have one.
    const explained = suggestions.filter((s) => /\(.* \d\.\d ★ \+\d\.\d\d/.test(s));
    assert.ok(explained.length >= 5, `suggestions say which ratings pushed them up: ${suggestions}`);
    assert.ok(suggestions.some((s) => /Toy Story \(1995\) 5\.0 ★ \+\d\.\d\d/.test(s)), `the loved film is a reason: ${suggestions}`);

    // The example set replaces the ratings; the map rings the new suggestions.
    await page.click(byId('recommend-example'));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="recommend-rated"] li').length === 6, null, { timeout: 10_000 });
    assert.equal(await page.locator(`${byId('recommend-map')} circle`).count(), 300);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="recommend-map"] circle[stroke="#000"]').length >= 1, null, { timeout: 30_000 });

    // Nothing left for another origin, and no request carried a rating or a title searched.
    const offsite = page.requests.filter((url) => new URL(url).origin !== origin && !url.startsWith('blob:') && !url.startsWith('data:'));
    assert.deepEqual(offsite, []);
    assert.deepEqual(page.requests.filter((url) => /toy|shining|zzqqx|rating/i.test(url)), [], `requests: ${page.requests}`);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('a broken ratings file is refused with a message in Chinese, and the page lives', async () => {
    const broken = await openPage(site.browser);
    await broken.route('**/assets/recommend/movielens-small.safetensors', (route) => route.fulfill({ status: 200, body: 'x'.repeat(618_768) }));
    await broken.goto(`${site.server.url}/?demo=recommend&lang=zh&backend=flex`);
    assert.match(await broken.textContent(byId('recommend-problem'), { timeout: 60_000 }), /评分数据无法载入.*sha256/i);
    assert.ok(await broken.isVisible('.shell-header'), 'the shell is still there');
    await broken.close();
  });
});
