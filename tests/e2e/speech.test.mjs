// End to end: article 2.3, speech. Chromium's fake microphone plays JFK's inaugural address (the
// served sample, www/assets/speech/jfk.wav) into the page: the spectrogram runs and marks voice;
// the keyword trainer records examples from the microphone and from the CMU ARCTIC sample, trains
// live, and tells the two apart from the live sound. A denied microphone gets a clear message,
// and no request carries any sound.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { assertNoConsoleErrors, byId, openPage, repoRoot, speechTopCounts, withSite } from './harness.mjs';

const fakeMicrophone = path.join(repoRoot, 'www/assets/speech/jfk.wav');
const site = withSite({
  args: ['--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${fakeMicrophone}`],
});

const heard = (page) => page.evaluate(() => {
  const canvas = document.querySelector('[data-testid="speech-spectrogram"]');
  return { frames: Number(canvas.dataset.frames), voiced: Number(canvas.dataset.voiced) };
});

const examples = (page, i) => page.evaluate((i) => Number(document.querySelector(`[data-testid="speech-examples-${i}"]`).dataset.count), i);

/** Records `n` one-second examples of class `i` from whatever the page is listening to. */
async function record(page, i, n) {
  for (let k = 0; k < n; k += 1) {
    const before = await examples(page, i);
    await page.click(byId(`speech-record-${i}`));
    await page.waitForFunction(({ i, before }) => Number(document.querySelector(`[data-testid="speech-examples-${i}"]`).dataset.count) === before + 1, { i, before }, { timeout: 10_000 });
  }
}

describe('speech (2.3)', () => {
  test('a denied microphone gets a clear message and the page keeps working', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=speech&lang=en&backend=flex`);
    await page.click(byId('speech-listen'));
    await page.waitForSelector(byId('speech-problem'), { timeout: 20_000 });
    assert.match(await page.textContent(byId('speech-problem')), /Microphone permission was denied|No microphone was found/);
    assert.match(await page.textContent(byId('speech-listen')), /Listen/);
    // A sample recording still works.
    await page.selectOption(byId('speech-source'), 'arctic');
    await page.click(byId('speech-listen'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="speech-spectrogram"]').dataset.frames) > 100, null, { timeout: 20_000 });
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('the fake microphone drives the spectrogram, and a network trained live tells two voices apart', async () => {
    const page = await openPage(site.browser, `${site.server.url}/?demo=speech&lang=en&backend=flex`, { permissions: ['microphone'] });
    const origin = new URL(site.server.url).origin;
    await page.click(byId('speech-listen'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="speech-spectrogram"]').dataset.frames) > 300, null, { timeout: 20_000 });
    const fromMicrophone = await heard(page);
    console.log(`# fake microphone: ${fromMicrophone.frames} frames, ${fromMicrophone.voiced} voiced`);
    assert.ok(fromMicrophone.voiced > 20 && fromMicrophone.voiced < fromMicrophone.frames, `voice marked on part of JFK's speech: ${JSON.stringify(fromMicrophone)}`);

    // Two classes: JFK from the microphone, the ARCTIC reader from the sample.
    await page.click(byId('speech-remove-class'));
    await page.fill(byId('speech-word-0'), 'JFK');
    await page.fill(byId('speech-word-1'), 'ARCTIC');
    assert.equal(await page.isDisabled(byId('speech-train')), true, 'no training without examples');
    await record(page, 0, 1);
    assert.equal(await page.textContent(byId('speech-examples-0')), '1 example');
    await record(page, 0, 3);
    await page.selectOption(byId('speech-source'), 'arctic');
    await record(page, 1, 4);
    await page.click(byId('speech-train'));
    await page.waitForFunction(
      () => document.querySelector('[data-testid="speech-train"]')?.textContent.includes('Train')
        && JSON.parse(document.querySelector('[data-testid="speech-loss"]')?.dataset.losses || '[]').length >= 2,
      null,
      { timeout: 120_000 },
    );
    const losses = JSON.parse(await page.getAttribute(byId('speech-loss'), 'data-losses'));
    // An evaluation every 2 passes from 0 to 60, however many steps this machine fits in a frame.
    assert.equal(losses.length, 31, `loss at every second pass: ${losses}`);
    console.log(`# keyword training (flex): loss ${losses[0].toFixed(3)} → ${losses.at(-1).toFixed(3)} over ${losses.length} evaluations`);
    assert.ok(losses.at(-1) < losses[0] * 0.5, `loss falls: ${losses}`);

    // Live recognition: the ARCTIC sample now, then the microphone's JFK.
    await page.waitForSelector(byId('speech-probability-1'), { timeout: 10_000 });
    const arctic = await speechTopCounts(page, 4_000);
    await page.selectOption(byId('speech-source'), 'mic');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="speech-spectrogram"]').dataset.frames) > 150, null, { timeout: 20_000 });
    const jfk = await speechTopCounts(page, 4_000);
    console.log(`# live: on the ARCTIC sample ${arctic[1]} of ${arctic[0] + arctic[1]} say ARCTIC; on the microphone ${jfk[0]} of ${jfk[0] + jfk[1]} say JFK`);
    assert.ok(arctic[1] > 2 * arctic[0], `ARCTIC recognised: ${arctic}`);
    assert.ok(jfk[0] > 2 * jfk[1], `JFK recognised: ${jfk}`);

    // Nothing heard left the page: only the site's own files were requested.
    const foreign = page.requests.filter((url) => new URL(url).origin !== origin);
    assert.deepEqual(foreign, []);
    assertNoConsoleErrors(page);
    await page.close();
  });
});
