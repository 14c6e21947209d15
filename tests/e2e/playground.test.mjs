// End to end: the 1.1 demos in headless Chromium, on the CPU backends and on WebGPU
// (Chromium's software adapter, so tiny networks there).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { artifactPath, frameRate, launchBrowser, openPage, serveDist, waitForBackend } from './harness.mjs';

let server;
let cpuBrowser;
let gpuBrowser;

before(async () => {
  server = await serveDist();
  cpuBrowser = await launchBrowser({ webgpu: false });
  gpuBrowser = await launchBrowser({ webgpu: true });
});

after(async () => {
  await cpuBrowser?.close();
  await gpuBrowser?.close();
  await server?.close();
});

const byId = (id) => `[data-testid="${id}"]`;

async function numberOf(page, id) {
  const value = await page.getAttribute(byId(id), 'data-value');
  return value === null || value === '' ? NaN : Number(value);
}

async function stepCount(page) {
  return Number(await page.textContent(byId('step-count')));
}


function assertNoConsoleErrors(page) {
  assert.deepEqual(page.consoleErrors, [], `console errors: ${page.consoleErrors.join('\n')}`);
}

describe('playground on the CPU', () => {
  for (const backend of ['flex', 'ndarray']) {
    test(`trains on ${backend}: loss falls, accuracy rises, the page never freezes`, async () => {
      const page = await openPage(cpuBrowser, `${server.url}/?demo=playground&data=circle&layers=8,8&act=tanh&lr=0.1&batch=16&backend=${backend}&lang=en`);
      await waitForBackend(page, backend);
      await page.waitForFunction(() => document.querySelector('[data-testid="train-loss"]')?.dataset.value);
      const loss0 = await numberOf(page, 'train-loss');
      const accuracy0 = await numberOf(page, 'test-accuracy');
      assert.ok(loss0 > 0.3, `an untrained network's loss should be large, got ${loss0}`);

      await page.click(byId('play'));
      // The 30 fps target is a speed figure, printed here and by `cargo xtask bench`; what must
      // hold on any machine, however loaded, is that training never blocks the page: the loop
      // yields every frame after a ~10 ms budget, so no frame waits anywhere near a second, even on a loaded machine.
      const { fps, longestGapMs } = await frameRate(page);
      console.log(`# ${backend}: ${fps.toFixed(1)} frames/s while training, longest frame gap ${longestGapMs.toFixed(0)} ms`);
      assert.ok(longestGapMs < 1000, `the page froze for ${longestGapMs.toFixed(0)} ms while training`);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) > 600, null, { timeout: 60_000 });
      await page.click(byId('play'));

      const loss1 = await numberOf(page, 'train-loss');
      const accuracy1 = await numberOf(page, 'test-accuracy');
      assert.ok(loss1 < loss0 * 0.5, `train loss ${loss0} -> ${loss1}`);
      assert.ok(accuracy1 > accuracy0 && accuracy1 >= 0.9, `test accuracy ${accuracy0} -> ${accuracy1}`);
      assert.ok(Number(await page.textContent(byId('steps-per-second'))) >= 0);
      await page.screenshot({ path: artifactPath(`playground-${backend}.png`), fullPage: true });
      assertNoConsoleErrors(page);
      await page.close();
    });
  }

  test('the URL carries the whole setup and a link reproduces it', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=playground&backend=flex`);
    await waitForBackend(page, 'flex');
    await page.click(byId('dataset-xor'));
    await page.selectOption(byId('lr'), '0.03');
    await page.selectOption(byId('activation'), 'relu');
    await page.selectOption(byId('batch'), '32');
    await page.selectOption(byId('optimizer'), 'adam');
    await page.click(byId('add-layer'));
    await page.click(byId('layer-0-plus'));
    await page.click(byId('regenerate'));
    const link = page.url();
    const query = new URL(link).searchParams;
    assert.equal(query.get('data'), 'xor');
    assert.equal(query.get('lr'), '0.03');
    assert.equal(query.get('layers'), '9,8,4');
    assert.equal(query.get('opt'), 'adam');

    const copy = await openPage(cpuBrowser, link);
    await waitForBackend(copy, 'flex');
    assert.match(await copy.getAttribute(byId('dataset-xor'), 'class'), /selected/);
    assert.equal(await copy.inputValue(byId('lr')), '0.03');
    assert.equal(await copy.inputValue(byId('activation')), 'relu');
    assert.equal(await copy.inputValue(byId('batch')), '32');
    assert.equal(await copy.inputValue(byId('optimizer')), 'adam');
    assert.deepEqual(
      await Promise.all([0, 1, 2].map((i) => copy.textContent(byId(`layer-${i}-width`)))),
      ['9', '8', '4'],
    );
    // Same seed, same data and initial weights: the untrained losses agree exactly.
    await copy.waitForFunction(() => document.querySelector('[data-testid="train-loss"]')?.dataset.value);
    await page.waitForFunction(() => document.querySelector('[data-testid="train-loss"]')?.dataset.value);
    assert.equal(await numberOf(copy, 'train-loss'), await numberOf(page, 'train-loss'));
    // The copy trains with the link's Adam.
    const before = await numberOf(copy, 'train-loss');
    await copy.click(byId('play'));
    await copy.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) > 300, null, { timeout: 60_000 });
    await copy.click(byId('play'));
    const after = await numberOf(copy, 'train-loss');
    assert.ok(after < before * 0.7, `Adam's train loss ${before} -> ${after}`);
    assertNoConsoleErrors(page);
    assertNoConsoleErrors(copy);
    await page.close();
    await copy.close();
  });

  test('an invalid link is refused at the control with a message, not a panic', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=playground&backend=flex&lr=NaN&layers=99&lang=en`);
    await waitForBackend(page, 'flex');
    const notice = await page.textContent('[role="alert"]');
    assert.match(notice, /lr=NaN/);
    assert.match(notice, /layers=99/);
    assert.equal(await page.inputValue(byId('lr')), '0.1');
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('a diverging run pauses with a clear message and resets', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=playground&data=regression&act=relu&lr=30&backend=flex&lang=en`);
    await waitForBackend(page, 'flex');
    await page.click(byId('play'));
    const status = await page.waitForSelector(byId('status'), { timeout: 30_000 });
    assert.match(await status.textContent(), /diverged/);
    assert.equal(await page.getAttribute(byId('play'), 'aria-label'), 'Train', 'training paused');
    await page.click(byId('status-reset'));
    await page.waitForSelector(byId('status'), { state: 'detached' });
    assert.equal(await stepCount(page), 0);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('auto runs the first module on the CPU; WebGPU, picked where the browser has none, falls back and says why', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=playground&backend=auto&lang=en`);
    await waitForBackend(page, 'flex');
    assert.match(await page.textContent(byId('backend-status')), /small module/);
    // Picking WebGPU loads the full module (runtime/modules.rs), which finds no adapter here.
    await page.selectOption(byId('backend-select'), 'webgpu');
    await page.waitForFunction(() => document.documentElement.dataset.labModule === 'full'
      && /unavailable/.test(document.querySelector('[data-testid="backend-status"]')?.textContent), null, { timeout: 60_000 });
    assert.equal(await page.getAttribute(byId('backend-status'), 'data-backend'), 'flex');
    await page.click(byId('step'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) >= 1);
    // Auto in the full module: a 2.x demo's page looks for WebGPU and says what it did not find.
    await page.goto(`${server.url}/?demo=classify&backend=auto&lang=en`);
    await waitForBackend(page, 'flex');
    assert.match(await page.textContent(byId('backend-status')), /no WebGPU/);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('language switch, embed mode and navigation', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=playground&backend=flex`);
    await waitForBackend(page, 'flex');
    assert.match(await page.textContent('h1'), /神经网络游乐场/);
    await page.click(byId('lang-toggle'));
    assert.match(await page.textContent('h1'), /Neural network playground/);
    assert.equal(new URL(page.url()).searchParams.get('lang'), 'en');
    await page.click(byId('nav-linear'));
    await page.waitForSelector('[data-demo="linear"]');
    assert.match(await page.textContent('h1'), /article's example/);

    const embedded = await openPage(cpuBrowser, `${server.url}/?demo=playground&embed=1&backend=flex`);
    await waitForBackend(embedded, 'flex');
    assert.equal(await embedded.$$eval('nav', (navs) => navs.length), 0);
    assert.equal(await embedded.$$eval('[data-demo="playground"]', (d) => d.length), 1);
    assertNoConsoleErrors(page);
    assertNoConsoleErrors(embedded);
    await page.close();
    await embedded.close();
  });
});

describe("the article's example", () => {
  test('every step equals the formulas, also after editing the inputs', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=linear&backend=flex&lang=en`);
    await waitForBackend(page, 'flex');
    assert.match(await page.textContent(byId('shape-error')), /\(2,1\) and \(2,1\) not aligned/);

    const check = async (x, y, lr, steps) => {
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="example-row"]').length === n, steps);
      const rows = await page.$$eval('[data-testid="example-row"]', (trs) => trs.map((tr) => Object.fromEntries(
        Object.entries(tr.dataset).filter(([k]) => k !== 'testid').map(([k, v]) => [k, Number(v)]),
      )));
      let w = [rows[0].w1, rows[0].w2];
      for (const row of rows) {
        const output = x[0] * w[0] + x[1] * w[1];
        const error = output - y;
        const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-5, `${what}: page ${a}, formula ${b}`);
        close(row.w1, w[0], 'w1');
        close(row.w2, w[1], 'w2');
        close(row.output, output, 'ŷ');
        close(row.error, error, 'e');
        close(row.loss, 0.5 * error * error, 'L');
        close(row.g1, error * x[0], '∂L/∂w1');
        close(row.g2, error * x[1], '∂L/∂w2');
        close(row.next1, w[0] - lr * error * x[0], 'w1 update');
        close(row.next2, w[1] - lr * error * x[1], 'w2 update');
        w = [row.next1, row.next2];
      }
      return rows;
    };
    const rows = await check([1, 2], 1, 0.1, 5);
    assert.ok(rows[4].loss < rows[0].loss, 'the loss falls');

    await page.fill(byId('example-x1'), '3');
    await page.dispatchEvent(byId('example-x1'), 'change');
    await page.fill(byId('example-steps'), '8');
    await page.dispatchEvent(byId('example-steps'), 'change');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="example-row"]').dataset.g1) !== -1.1 * 1);
    await check([3, 2], 1, 0.1, 8);

    await page.fill(byId('example-lr'), '1e999');
    await page.dispatchEvent(byId('example-lr'), 'change');
    await page.waitForSelector('[role="alert"]');
    await page.screenshot({ path: artifactPath('linear-example.png'), fullPage: true });
    assertNoConsoleErrors(page);
    await page.close();
  });
});

describe('on WebGPU, and after losing it', () => {
  test('auto picks WebGPU when an adapter exists, and training lowers the loss', async () => {
    // In the full module (`module=full`): the first one, which a 1.x page loads, has flex alone.
    const page = await openPage(gpuBrowser, `${server.url}/?demo=playground&data=gauss&layers=4&act=tanh&lr=0.3&batch=8&n=40&backend=auto&module=full&lang=en`);
    await waitForBackend(page, 'webgpu');
    assert.match(await page.textContent(byId('backend-status')), /adapter was found/);
    await page.waitForFunction(() => document.querySelector('[data-testid="train-loss"]')?.dataset.value, null, { timeout: 60_000 });
    const loss0 = await numberOf(page, 'train-loss');
    await page.click(byId('play'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) >= 40, null, { timeout: 120_000 });
    await page.click(byId('play'));
    const loss1 = await numberOf(page, 'train-loss');
    assert.ok(loss1 < loss0, `train loss ${loss0} -> ${loss1} on WebGPU`);
    assert.equal(await page.getAttribute(byId('backend-status'), 'data-backend'), 'webgpu', 'no fallback happened');
    await page.screenshot({ path: artifactPath('playground-webgpu.png'), fullPage: true });
    assertNoConsoleErrors(page);
    await page.close();
  });

  // Keep a handle on every GPUDevice the page creates, so a test can destroy it: a real loss.
  async function pageWithDevices(url) {
    const page = await gpuBrowser.newPage();
    page.consoleErrors = [];
    page.on('pageerror', (error) => page.consoleErrors.push(String(error)));
    await page.addInitScript(() => {
      window.__devices = [];
      const request = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await request.apply(this, args);
        window.__devices.push(device);
        return device;
      };
    });
    await page.goto(url);
    await waitForBackend(page, 'webgpu');
    return page;
  }

  // Destroys the GPU device, then waits for the move to the CPU and its message.
  async function loseGpu(page) {
    await page.evaluate(() => window.__devices.forEach((device) => device.destroy()));
    await waitForBackend(page, 'flex');
    assert.match(await page.textContent(byId('backend-status')), /GPU device was lost/);
  }

  test('a lost GPU device moves training to the CPU with its weights, and says so', async () => {
    const page = await pageWithDevices(`${server.url}/?demo=playground&data=gauss&layers=4&act=tanh&lr=0.3&batch=8&n=40&backend=webgpu&lang=en`);
    await page.click(byId('play'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) >= 10, null, { timeout: 120_000 });
    const before = await stepCount(page);
    await loseGpu(page);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="step-count"]').textContent) > n + 50, before, { timeout: 60_000 });
    assert.deepEqual(page.consoleErrors, [], `page errors: ${page.consoleErrors.join('\n')}`);
    await page.close();
  });

  test('a lost GPU device moves the optimizer race to the CPU: every runner carries on from its step', async () => {
    const page = await pageWithDevices(`${server.url}/?demo=optimizers&runs=sgd:0.1,adam:0.01&finish=20000&backend=webgpu&lang=en`);
    const steps = () => page.$$eval(byId('race-run'), (rows) => rows.map((row) => Number(row.dataset.steps)));
    await page.click(byId('race-play'));
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="race-run"]')].every((row) => Number(row.dataset.steps) >= 20), null, { timeout: 120_000 });
    await loseGpu(page);
    const before = await steps();
    // Still running, never back to zero, and the runners stay in lockstep.
    await page.waitForFunction((n) => [...document.querySelectorAll('[data-testid="race-run"]')].every((row) => Number(row.dataset.steps) > n + 50), Math.max(...before), { timeout: 60_000 });
    const after = await steps();
    assert.equal(after[0], after[1], `runners out of step: ${after}`);
    assert.equal(await page.getAttribute(byId('race-play'), 'aria-label'), 'Pause', 'the race kept running');
    assert.deepEqual(page.consoleErrors, [], `page errors: ${page.consoleErrors.join('\n')}`);
    await page.close();
  });

  test('a lost GPU device moves the landscape\'s walks to the CPU, keeping the paths walked', async () => {
    const page = await pageWithDevices(`${server.url}/?demo=landscape&surface=bowl&backend=webgpu&lang=en`);
    const points = () => page.$eval(byId('landscape-paths'), (list) => Number(list.dataset.points));
    // Five paths of one start point each, then more as the walks go on.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="landscape-paths"]').dataset.points) > 5, null, { timeout: 120_000 });
    const before = await points();
    assert.ok(before < 5 * 301, `the walks ended before the GPU could be lost (${before} points)`);
    await loseGpu(page);
    assert.ok(await points() >= before, 'the paths walked on the GPU were kept');
    // Every walk finishes its 300 steps, drawn to the end.
    await page.waitForFunction(() => document.querySelector('[data-testid="landscape-paths"]').dataset.points === String(5 * 301), null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="landscape-paths"]').dataset.shown === '301', null, { timeout: 60_000 });
    assert.deepEqual(page.consoleErrors, [], `page errors: ${page.consoleErrors.join('\n')}`);
    await page.close();
  });

  test('a lost GPU device moves the article\'s example to the CPU with its inputs and steps', async () => {
    const page = await pageWithDevices(`${server.url}/?demo=linear&backend=webgpu&lang=en`);
    const rows = () => page.$$eval(byId('example-row'), (trs) => trs.length);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="example-row"]').length === 5, null, { timeout: 120_000 });
    await page.fill(byId('example-x1'), '3');
    await page.dispatchEvent(byId('example-x1'), 'change');
    // The device dies under the example: the next steps fail on it and run on the CPU instead.
    await page.evaluate(() => window.__devices.forEach((device) => device.destroy()));
    await page.fill(byId('example-steps'), '12');
    await page.dispatchEvent(byId('example-steps'), 'change');
    await waitForBackend(page, 'flex');
    assert.match(await page.textContent(byId('backend-status')), /GPU device was lost/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="example-row"]').length === 12, null, { timeout: 60_000 });
    assert.equal(await rows(), 12);
    assert.equal(await page.inputValue(byId('example-x1')), '3', 'the inputs were kept');
    const table = await page.$$eval(byId('example-row'), (trs) => trs.map((tr) => [Number(tr.dataset.w1), Number(tr.dataset.g1), Number(tr.dataset.next1)]));
    // Row t starts from row t-1's update, with x₁ = 3: ∂L/∂w₁ = 3e, so the chain is unbroken.
    for (let t = 1; t < table.length; t += 1) assert.ok(Math.abs(table[t][0] - table[t - 1][2]) < 1e-5, `row ${t}: ${table[t]} after ${table[t - 1]}`);
    assert.deepEqual(page.consoleErrors, [], `page errors: ${page.consoleErrors.join('\n')}`);
    await page.close();
  });
});

describe('the optimizer race (1.2)', () => {
  test('four optimizers race from the same start; curves, speeds and a winner appear', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=optimizers&backend=flex&finish=300&lang=en`);
    await waitForBackend(page, 'flex');
    assert.equal(await page.$$eval(byId('race-run'), (rows) => rows.length), 4);
    await page.click(byId('race-play'));
    await page.waitForFunction(() => document.querySelector('[data-testid="race-winner"]').textContent.includes('Winner'), null, { timeout: 120_000 });
    const losses = await Promise.all([0, 1, 2, 3].map((i) => page.textContent(byId(`race-test-loss-${i}`))));
    for (const loss of losses) assert.ok(Number(loss) > 0 && Number(loss) < 0.7, `final test loss ${loss}`);
    const speeds = await Promise.all([0, 1, 2, 3].map((i) => page.textContent(byId(`race-speed-${i}`))));
    for (const speed of speeds) assert.ok(Number(speed) > 0, `steps/s ${speed}`);
    const curves = await page.$$eval('.race polyline', (lines) => lines.map((l) => l.getAttribute('points').split(' ').length));
    assert.equal(curves.length, 4);
    for (const points of curves) assert.ok(points >= 10, `a curve with ${points} points`);
    const best = Math.min(...losses.map(Number));
    assert.match(await page.textContent(byId('race-winner')), new RegExp(best.toFixed(4)));

    // A hyper-parameter that makes no sense is refused at the control.
    await page.fill(byId('race-2-0'), '1.5');
    await page.dispatchEvent(byId('race-2-0'), 'change');
    assert.match(await page.textContent('[role="alert"]'), /beta 1/);
    await page.screenshot({ path: artifactPath('optimizer-race.png'), fullPage: true });
    assertNoConsoleErrors(page);
    await page.close();
  });
});

describe('the loss landscape (1.2)', () => {
  test('clicking the map starts every optimizer there, and their paths are drawn', async () => {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=landscape&backend=flex&lang=en`);
    await waitForBackend(page, 'flex');
    await page.selectOption(byId('landscape-surface'), 'bowl');
    assert.equal(new URL(page.url()).searchParams.get('surface'), 'bowl');
    const canvas = await page.$(byId('landscape-canvas'));
    const box = await canvas.boundingBox();
    // A quarter in from the left and from the top: (-1.5, 1.5) on the bowl's [-3, 3]² domain.
    await page.mouse.click(box.x + box.width / 4, box.y + box.height / 4);
    await page.waitForFunction(() => /Start \(-1\.50, 1\.50\)/.test(document.querySelector('[data-testid="landscape-start"]').textContent));
    await page.waitForFunction(() => document.querySelector('[data-testid="landscape-paths"]').dataset.points === String(5 * 301));
    const ends = await page.$$eval(`${byId('landscape-paths')} li`, (items) => items.map((li) => li.textContent));
    assert.equal(ends.length, 5);
    // On the bowl every optimizer ends near the minimum at the origin.
    for (const end of ends) {
      const [x, y] = end.match(/\((-?[\d.]+), (-?[\d.]+)\)/).slice(1).map(Number);
      assert.ok(Math.hypot(x, y) < 0.2, `${end}`);
    }
    // The drawn map is not blank: the canvas has many distinct colours.
    const colours = await page.$eval(byId('landscape-canvas'), (c) => {
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < data.length; i += 4 * 97) seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
      return seen.size;
    });
    assert.ok(colours > 10, `only ${colours} colours on the landscape`);
    await page.screenshot({ path: artifactPath('landscape.png'), fullPage: true });
    assertNoConsoleErrors(page);
    await page.close();
  });
});

describe('regularization (1.3)', () => {
  async function trainScene(l2, patience) {
    const page = await openPage(cpuBrowser, `${server.url}/?demo=playground&backend=flex&lang=en`);
    await waitForBackend(page, 'flex');
    await page.click(byId('overfitting-scene'));
    if (l2) await page.selectOption(byId('l2'), l2);
    if (patience) await page.selectOption(byId('patience'), patience);
    await page.click(byId('play'));
    return page;
  }

  test('L2 closes the over-fitting scene\'s train/test gap against the same run without it', async () => {
    const gaps = [];
    for (const l2 of [null, '0.003']) {
      const page = await trainScene(l2, null);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="step-count"]').textContent) >= 3000, null, { timeout: 120_000 });
      await page.click(byId('play'));
      gaps.push((await numberOf(page, 'test-loss')) - (await numberOf(page, 'train-loss')));
      assert.equal(await page.$$eval(`${byId('weight-histogram')} rect`, (bars) => bars.length), 24);
      await page.screenshot({ path: artifactPath(`regularization-${l2 ?? 'none'}.png`), fullPage: true });
      assertNoConsoleErrors(page);
      await page.close();
    }
    console.log(`# train/test gap after 3000 steps: ${gaps[0].toFixed(3)} without L2, ${gaps[1].toFixed(3)} with L2 = 0.003`);
    assert.ok(gaps[1] < gaps[0] * 0.7, `gap without L2 ${gaps[0]}, with L2 ${gaps[1]}`);
  });

  test('early stopping pauses the run and says why', async () => {
    const page = await trainScene(null, '10');
    const status = await page.waitForSelector(byId('status'), { timeout: 60_000 });
    assert.match(await status.textContent(), /Early stopping/);
    assert.equal(await page.getAttribute(byId('play'), 'aria-label'), 'Train');
    assert.equal(new URL(page.url()).searchParams.get('patience'), '10');
    assertNoConsoleErrors(page);
    await page.close();
  });
});
