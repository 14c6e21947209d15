// End to end: an article on one origin embeds the lab from another (two servers on localhost,
// different ports), through the example host page in www/embed/. The host sizes the frame from
// the lab's height events, sets the language and a sentence, and hears the prediction; a
// playground is set up, started and paused from outside; a page that is not listed in hosts=
// can read events but its commands are ignored.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertNoConsoleErrors, distDir, launchBrowser, openPage, serveDist } from './harness.mjs';

const PROTOCOL = 'open-model-lab';
let lab;
let article;
let browser;

before(async () => {
  lab = await serveDist();
  article = await serveDist();
  browser = await launchBrowser();
  assert.notEqual(new URL(lab.url).origin, new URL(article.url).origin, 'two origins');
});
after(async () => {
  await browser?.close();
  await article?.close();
  await lab?.close();
});

/** The article page embedding `labQuery` (e.g. `demo=text&lang=en`) from the lab's origin. */
async function openArticle(labQuery, extra = '') {
  const labUrl = `${lab.url}/?${labQuery}${extra}`;
  const page = await openPage(browser, `${article.url}/embed/host-example.html?lab=${encodeURIComponent(labUrl)}`);
  page.frameWarnings = [];
  page.on('console', (msg) => {
    if (msg.type() === 'warning' && msg.text().includes('host message ignored')) page.frameWarnings.push(msg.text());
  });
  await waitForEvent(page, (e) => e.type === 'ready');
  return page;
}

/** The first event heard (from index `from` on) that `match` accepts. */
async function waitForEvent(page, match, { from = 0, timeout = 120_000 } = {}) {
  const handle = await page.waitForFunction(
    ([source, from]) => {
      const match = new Function(`return (${source})`)();
      return window.labEvents.slice(from).find(match);
    },
    [match.toString(), from],
    { timeout, polling: 100 },
  );
  return handle.jsonValue();
}

const eventCount = (page) => page.evaluate(() => window.labEvents.length);
const send = (page, type, fields = {}) => page.evaluate(([type, fields]) => window.sendToLab(type, fields), [type, fields]);

describe('an article embedding the lab from another origin', () => {
  test('sizes the frame, sets the language and a sentence, and hears the prediction', async () => {
    const page = await openArticle('demo=text&model=lab-bert-zh&backend=flex&lang=zh');
    const ready = await waitForEvent(page, (e) => e.type === 'ready');
    assert.equal(ready.protocol, PROTOCOL);
    assert.equal(ready.version, 1);
    assert.equal(ready.demo, 'text');
    assert.equal(ready.lang, 'zh');
    assert.ok(ready.accepts.includes('text'), `accepts ${ready.accepts}`);

    // The first example's prediction arrives once the model is loaded.
    const first = await waitForEvent(page, (e) => e.type === 'prediction');
    assert.equal(first.label, 'positive', '今天天气真好');

    // The host sized the frame to the reported height: no scrollbar inside.
    const height = await waitForEvent(page, (e) => e.type === 'height' && e.height > 300);
    const frame = page.frame({ url: /demo=text/ });
    await page.waitForFunction(() => {
      const f = document.getElementById('lab');
      const last = window.labEvents.filter((e) => e.type === 'height').at(-1);
      return f.getBoundingClientRect().height >= last.height;
    });
    const inside = await frame.evaluate(() => ({
      scroll: document.documentElement.scrollHeight,
      client: document.documentElement.clientHeight,
    }));
    assert.ok(inside.scroll <= inside.client + 1, `no scrollbar in the frame: ${JSON.stringify(inside)} (reported ${height.height})`);

    // Language: the frame switches and announces itself again.
    let from = await eventCount(page);
    await send(page, 'set-language', { lang: 'en' });
    const english = await waitForEvent(page, (e) => e.type === 'ready', { from });
    assert.equal(english.lang, 'en');
    assert.equal(await frame.textContent('[data-testid="lang-toggle"]'), '中文');
    assert.equal(await frame.inputValue('[data-testid="model"]'), 'lab-bert-zh', 'the picker shows the model the URL chose');

    // A sentence from the article: the frame shows it and reports its sentiment.
    from = await eventCount(page);
    await send(page, 'set-input', { text: '质量太差了，用了两天就坏，再也不买了。' });
    const negative = await waitForEvent(page, (e) => e.type === 'prediction', { from });
    assert.equal(negative.label, 'negative');
    assert.ok(negative.probability > 0.5 && negative.probability <= 1, `p ${negative.probability}`);
    assert.equal(await frame.inputValue('[data-testid="text-input"]'), '质量太差了，用了两天就坏，再也不买了。');

    // Malformed and unknown messages are ignored with a warning; the frame goes on.
    await page.evaluate(() => {
      const f = document.getElementById('lab').contentWindow;
      f.postMessage({ protocol: 'open-model-lab', version: 1, type: 'explode' }, '*');
      f.postMessage({ protocol: 'open-model-lab', version: 7, type: 'start' }, '*');
      f.postMessage({ protocol: 'open-model-lab', version: 1, type: 'set-input' }, '*');
      f.postMessage('not even an object', '*');
    });
    await frame.waitForTimeout(300);
    const warnings = page.frameWarnings.join('\n');
    assert.match(warnings, /unknown type "explode"/);
    assert.match(warnings, /version 7 is not spoken here/);
    assert.match(warnings, /set-input needs one of text, image or setup/);

    // Text to a demo that takes none is refused back to the host.
    from = await eventCount(page);
    await send(page, 'set-input', { setup: { data: 'xor' } });
    const rejected = await waitForEvent(page, (e) => e.type === 'rejected', { from });
    assert.match(rejected.reason, /takes no setup input/);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('sets up the playground, starts and pauses it, and hears its progress', async () => {
    const page = await openArticle('demo=playground&backend=flex&lang=en');
    let from = await eventCount(page);
    await send(page, 'set-input', { setup: { data: 'xor', lr: 0.1, layers: '4,4' } });
    await send(page, 'start');
    const running = await waitForEvent(page, (e) => e.type === 'training' && e.running && e.step > 200, { from });
    assert.ok(Number.isFinite(running.loss) && Number.isFinite(running.testLoss), JSON.stringify(running));
    const frame = page.frame({ url: /demo=playground/ });
    assert.match(frame.url(), /data=xor/, 'the setup is in the frame\'s link');
    from = await eventCount(page);
    await send(page, 'pause');
    const paused = await waitForEvent(page, (e) => e.type === 'training' && !e.running, { from });
    await frame.waitForTimeout(500);
    const after = await page.evaluate(() => window.labEvents.filter((e) => e.type === 'training').at(-1));
    assert.equal(after.step, paused.step, 'no steps after the pause');

    // A bad setup says what was wrong and keeps defaults for it.
    from = await eventCount(page);
    await send(page, 'set-input', { setup: { data: 'spiral', lr: 'fast', colour: 'red' } });
    const rejected = await waitForEvent(page, (e) => e.type === 'rejected', { from });
    assert.match(rejected.reason, /unknown keys colour/);
    assert.match(rejected.reason, /lr=fast/);
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('hands a photo to the classifier as a Blob and hears its top class', async () => {
    const page = await openArticle('demo=classify&backend=flex&lang=en');
    const ready = await waitForEvent(page, (e) => e.type === 'ready');
    assert.ok(ready.accepts.includes('image'), `accepts ${ready.accepts}`);
    const frame = page.frame({ url: /demo=classify/ });
    await frame.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 120_000 });
    const bytes = fs.readFileSync(path.join(distDir, 'assets/samples/rocket.jpg'));
    const from = await eventCount(page);
    await page.evaluate((data) => {
      const blob = new Blob([new Uint8Array(data)], { type: 'image/jpeg' });
      window.sendToLab('set-input', { image: blob, name: 'rocket.jpg' });
    }, [...bytes]);
    const prediction = await waitForEvent(page, (e) => e.type === 'prediction', { from });
    assert.ok(prediction.label.length > 0 && prediction.probability > 0.1, JSON.stringify(prediction));
    await frame.waitForFunction(() => document.querySelector('figcaption')?.textContent === 'rocket.jpg');
    assertNoConsoleErrors(page);
    await page.close();
  });

  test('a page not listed in hosts= reads events but cannot set inputs', async () => {
    const page = await openArticle('demo=text&model=lab-bert-zh&backend=flex&lang=en', '&hosts=https://article.example');
    await waitForEvent(page, (e) => e.type === 'prediction');
    const from = await eventCount(page);
    await send(page, 'set-input', { text: '质量太差了' });
    const frame = page.frame({ url: /demo=text/ });
    await frame.waitForTimeout(1500);
    assert.equal(await frame.inputValue('[data-testid="text-input"]'), '今天天气真好', 'the sentence is unchanged');
    const heard = await page.evaluate((from) => window.labEvents.slice(from).filter((e) => e.type === 'prediction'), from);
    assert.deepEqual(heard, []);
    assert.match(page.frameWarnings.join('\n'), /may read events but not send commands/);
    assertNoConsoleErrors(page);
    await page.close();
  });
});
