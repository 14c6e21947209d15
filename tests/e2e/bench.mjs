// Browser benchmark over the release build in dist/ (`cargo xtask bench`
// builds it first). Prints figures; asserts nothing.
//
//   node tests/e2e/bench.mjs
//   node tests/e2e/bench.mjs --compare   (`cargo xtask bench --compare`; needs `npm ci` in tests/bench)
//
// - training speed of the playground per CPU backend (steps/s after 8 s, the loss before and
//   after), and the page's frame rate meanwhile (target: at least 30 frames/s)
// - size of dist/*.wasm, raw and gzip -9
// - first contentful paint and time to interactive of the start page and of each demo opened
//   directly (mean of 3 cold loads; BENCH_ONLY=paint for these alone), over loopback and over a
//   throttled 40 Mbit/s line from a server that sends gzip
//
// --compare measures only the playground's training, then TensorFlow.js training the same network
// in the same page (tests/bench/tfjs.mjs), and prints both with the lab/tfjs ratios; it fails
// when either side's loss did not fall, since then the figures compare no training at all. Then,
// in the same browser, the classify and text demos' inference against onnxruntime-web on ONNX
// exports of the same checkpoints (tests/bench/inference.mjs; needs scripts/export_onnx.py's
// files in .cache/onnx and dist/text-models/minilm-l6). BENCH_ONLY=train or =infer: one half.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { compareInference } from '../bench/inference.mjs';
import { ortMounts } from '../bench/ort.mjs';
import { installTfjs, trainTfjs } from '../bench/tfjs.mjs';
import { describeProfile, distDir, frameRate, launchBrowser, openPage, readProfile, serveDist } from './harness.mjs';

const BACKENDS = ['flex', 'ndarray'];
const PLAYGROUND = 'demo=playground&data=circle&layers=16,16&batch=64&lr=0.03';
const RUN_MS = 8000;
const PAINT_LOADS = 3;
/** The connection of the throttled loads: a common home line (DevTools' throttling). */
const HOME_NETWORK = { label: '40 Mbit/s, 20 ms, gzip', downMbps: 40, upMbps: 10, roundTripMs: 20 };

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function printTable(rows) {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/**
 * Trains the playground open in `page` on `backend` for RUN_MS from its first step, then pauses
 * it: steps/s as the page shows it, the frame rate meanwhile, the steps taken and the training
 * loss (over the whole training set, as the page reads it back) before and after.
 */
async function trainPlayground(page, backend) {
  await page.waitForSelector(`[data-testid="backend-status"][data-backend="${backend}"]`, { timeout: 60_000 });
  await page.waitForFunction(
    () => document.querySelector('[data-testid="step-count"]')?.textContent === '0'
      && document.querySelector('[data-testid="train-loss"]')?.dataset.value,
    null,
    { timeout: 60_000 },
  );
  const trainLoss = async () => Number(await page.getAttribute('[data-testid=train-loss]', 'data-value'));
  const lossBefore = await trainLoss();
  const play = page.locator('[data-testid=play]');
  await play.click();
  const frames = await frameRate(page, RUN_MS);
  const text = (await page.locator('[data-testid=steps-per-second]').textContent({ timeout: 10_000 })) ?? '';
  const value = Number.parseFloat(text.replace(/[^0-9.eE+-]/g, ''));
  if (!Number.isFinite(value)) throw new Error(`steps-per-second reads ${JSON.stringify(text)}`);
  await play.click();
  // A paused loop shows 0 steps/s, after the snapshot of its last step.
  await page.waitForFunction(() => document.querySelector('[data-testid="steps-per-second"]')?.textContent === '0');
  const steps = Number(await page.textContent('[data-testid=step-count]'));
  return { value, frames, steps, lossBefore, lossAfter: await trainLoss() };
}

/**
 * The playground's trainer in a tight loop in `page` (a playground page of the release site), on
 * the bench's network with `optimizer`: steps/s over `ms` of wall time, and the training loss
 * before and after, as trainPlayground gives them.
 */
async function labTightLoop(page, { backend, optimizer, readBack, ms }) {
  const query = `${PLAYGROUND}&opt=${optimizer}`;
  const run = await page.evaluate(
    ([query, backend, readBack, ms]) => window.wasmBindings.playgroundTightLoop(query, backend, readBack, ms),
    [query, backend, readBack, ms],
  );
  return { value: run.steps / run.seconds, steps: run.steps, lossBefore: run.lossBefore, lossAfter: run.lossAfter };
}

const loss = ({ lossBefore, lossAfter, steps }) =>
  `train loss ${lossBefore.toFixed(3)} -> ${lossAfter.toFixed(3)} after ${steps} steps`;

async function stepsPerSecond(browser, url, backend) {
  const page = await openPage(browser);
  try {
    await page.goto(`${url}/?${PLAYGROUND}&backend=${backend}`);
    return await trainPlayground(page, backend);
  } finally {
    if (page.consoleErrors.length) console.log(`  (${backend}) page errors:\n    ${page.consoleErrors.join('\n    ')}`);
    await page.close();
  }
}

const PEPTIDE_SETS = ['tm', 'uniprot'];

/** Steps/s of the peptide demo's training (network and baseline on one batch), as it shows them. */
async function peptideStepsPerSecond(browser, url, backend, set) {
  const page = await openPage(browser);
  try {
    await page.goto(`${url}/?demo=peptides&set=${set}&backend=${backend}&lang=en`);
    const train = page.locator('[data-testid=peptides-train]:not([disabled])');
    await train.waitFor({ state: 'visible', timeout: 60_000 });
    await train.click();
    await page.waitForTimeout(RUN_MS);
    const text = (await page.locator('[data-testid=peptides-rate]').textContent({ timeout: 10_000 })) ?? '';
    const value = Number.parseFloat(text.match(/[0-9.]+/)?.[0] ?? '');
    if (!Number.isFinite(value)) throw new Error(`peptides-rate reads ${JSON.stringify(text)}`);
    return `${value} steps/s`;
  } finally {
    await page.close();
  }
}

/** The demos' ids, read from the start page's navigation (the shell's one registry). */
async function demoIds(browser, url) {
  const page = await openPage(browser);
  try {
    await page.goto(`${url}/`);
    const nav = page.locator('[data-testid^="nav-"]:not([data-testid="nav-guide"])');
    await nav.first().waitFor({ timeout: 60_000 });
    return (await nav.evaluateAll((links) => links.map((a) => a.dataset.testid))).map((t) => t.slice('nav-'.length));
  } finally {
    await page.close();
  }
}

/**
 * First contentful paint and time to interactive of one page, opened in a fresh context (cold
 * cache), from navigation start. Interactive: the wasm started, the app mounted (the loading
 * text gone), the backend open, and the demo's panel there, so its controls answer. A model
 * demo's model download comes after that, with its own progress bar, and is not part of it.
 * `network`: Chromium's throttling (DevTools' own) for every load, else loopback's full speed.
 */
async function loadTimes(browser, url, demo, network) {
  const sums = { fcp: 0, tti: 0 };
  let backend = '';
  let module = '';
  let wasmBytes = 0;
  for (let i = 0; i < PAINT_LOADS; i++) {
    const page = await openPage(browser);
    try {
      if (network) {
        const devtools = await page.context().newCDPSession(page);
        await devtools.send('Network.enable');
        await devtools.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: network.roundTripMs,
          downloadThroughput: (network.downMbps * 1e6) / 8,
          uploadThroughput: (network.upMbps * 1e6) / 8,
        });
      }
      await page.goto(demo ? `${url}/?demo=${demo}` : `${url}/`);
      const tti = await page.waitForFunction(
        (id) => {
          const status = document.querySelector('[data-testid=backend-status]');
          const panel = id ? document.querySelector(`main.demo[data-demo="${id}"]`) : document.querySelector('.app');
          return !document.getElementById('loading') && status?.dataset.backend && panel ? performance.now() : false;
        },
        demo,
        { polling: 'raf', timeout: 60_000 },
      );
      sums.tti += await tti.jsonValue();
      await page.waitForFunction(() => performance.getEntriesByType('paint').some((e) => e.name === 'first-contentful-paint'), null, {
        timeout: 15_000,
      });
      sums.fcp += await page.evaluate(() => performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint').startTime);
      backend = await page.locator('[data-testid=backend-status]').getAttribute('data-backend');
      // Which of the site's two modules the loader picked (www/module-loader.js), and the wasm
      // bytes the page itself fetched (as sent: gzip where the server compresses).
      module = await page.evaluate(() => document.documentElement.dataset.labModule);
      wasmBytes = await page.evaluate(() => performance.getEntriesByType('resource')
        .filter((e) => e.name.endsWith('.wasm')).reduce((sum, e) => sum + e.encodedBodySize, 0));
    } finally {
      await page.close();
    }
  }
  return { fcp: sums.fcp / PAINT_LOADS, tti: sums.tti / PAINT_LOADS, backend, module, wasmBytes };
}

/** Text the lab's BERT reads as one token per character (each is in its vocabulary). */
const REVIEW = '这家店的服务真周到菜也好吃下次还会再来'.repeat(8);
const TEXT_LENGTHS = [16, 64, 128];
const TEXT_RUNS = 20;
/** The text models measured: the lab's own BERT and the pretrained multilingual-e5-small. */
const TEXT_MODELS = ['lab-bert-zh', 'e5-small'];

/**
 * The text demo's latency per sentence length with `model`: median over TEXT_RUNS analyses
 * after a warm-up (tokenize, forward with attentions, read back the probabilities), as the page
 * reports it. The lab's BERT reads REVIEW one token per character, so a prefix gives the exact
 * length; e5's SentencePiece merges characters into words and adds its `query: ` prefix, so
 * its lengths are what the same prefixes give (printed), and the longest is cut at 128.
 */
async function textLatency(browser, url, backend, model, runs = TEXT_RUNS) {
  const { lengths } = await textRuns(browser, url, backend, model, { runs });
  return lengths.map(({ tokens, median, profile }) => `${tokens} tokens ${median.toFixed(1)} ms${describeProfile(profile)}`)
    .join(', ');
}


/**
 * textLatency's measurement: per length of TEXT_LENGTHS the tokens the page made, the median of
 * `runs` (ms) and the last run's token ids; and `readyMs`, from opening the page to the model
 * shown ready; `simd`, the SIMD the page's module computes with (www/module-loader.js).
 * `weights` picks the model's weights file (`&weights=`), else its default; `simd: 'simd128'`
 * the full module without relaxed SIMD (`&simd=simd128`), else the loader's choice.
 * `exact`: every length a prefix of REVIEW, for a model that reads it one token per character
 * and is not cut at 128 (MiniLM-L6, whose English vocabulary makes most characters [UNK]).
 */
async function textRuns(browser, url, backend, model, { runs = TEXT_RUNS, weights, simd, pageOptions, exact = false } = {}) {
  const query = `demo=text&model=${model}&backend=${backend}&lang=en${weights ? `&weights=${weights}` : ''}${simd ? `&simd=${simd}` : ''}`;
  const page = await openPage(browser, undefined, pageOptions);
  try {
    const opened = Date.now();
    await page.goto(`${url}/?${query}`);
    await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 300_000 });
    const readyMs = Date.now() - opened;
    await page.waitForSelector('[data-testid="sentiment"]', { timeout: 120_000 });
    const lengths = [];
    for (const tokens of TEXT_LENGTHS) {
      const times = [];
      let seen = 0;
      for (let run = 0; run <= runs; run++) {
        // Every run is a new sentence (its last character alternates), and the page numbers
        // its answers. 128: twice REVIEW, over 128 tokens for both models, cut at 128.
        const base = tokens === 128 && !exact ? REVIEW.repeat(2) : REVIEW.slice(0, tokens - 3);
        const text = `${run % 2 ? '好' : '坏'}${base}`;
        const before = await page.$eval('[data-testid="sentiment"]', (el) => Number(el.dataset.request));
        await page.fill('[data-testid="text-input"]', text);
        seen = await page.waitForFunction(
          (previous) => {
            const sentiment = document.querySelector('[data-testid="sentiment"]');
            return sentiment && Number(sentiment.dataset.request) > previous
              && document.querySelectorAll('[data-testid="tokens"] .token').length;
          },
          before,
          { timeout: 120_000 },
        ).then((h) => h.jsonValue());
        const ms = Number((await page.textContent('[data-testid="text-ms"]')).replace(/[^0-9.]/g, ''));
        if (run > 0) times.push(ms);
      }
      const ids = await page.$$eval('[data-testid="tokens"] li', (items) => items.map((li) => Number(li.dataset.id)));
      times.sort((a, b) => a - b);
      lengths.push({ tokens: seen, median: times[times.length >> 1], ids, profile: await readProfile(page) });
    }
    return { lengths, readyMs, simd: await page.evaluate(() => document.documentElement.dataset.labSimd) };
  } finally {
    if (page.consoleErrors.length) console.log(`  (text ${model} ${backend}) page errors:\n    ${page.consoleErrors.join('\n    ')}`);
    await page.close();
  }
}

const CLASSIFY_RUNS = 20;

/**
 * The classify demo's latency per photo with `model` (a folder of dist/assets/models): median
 * over CLASSIFY_RUNS classifications after a warm-up, as the page reports it. Each
 * classification is two forward passes (the normalised input and the article's unnormalised
 * one), so GFLOP/s counts 2 × 2 × the manifest's MACs.
 */
async function classifyLatency(browser, url, backend, model) {
  const { median, manifest, profile } = await classifyRuns(browser, url, backend, model);
  const gflops = (2 * 2 * manifest.macs) / (median / 1000) / 1e9;
  return `${manifest.name} ${median.toFixed(0)} ms per photo (2 passes), ${gflops.toFixed(1)} GFLOP/s${describeProfile(profile)}`;
}

/**
 * classifyLatency's measurement: the median per photo (ms), the manifest, `readyMs` (from
 * opening the page to the model shown ready) and the top 5 of the last photo, chelsea.png
 * ([class, probability] as the page holds them), and `simd` as textRuns says. `weights` picks
 * the weights file (`&weights=`), `simd` as textRuns takes it.
 */
async function classifyRuns(browser, url, backend, model, { weights, simd, pageOptions } = {}) {
  const query = `demo=classify&model=${model}&backend=${backend}&lang=en${weights ? `&weights=${weights}` : ''}${simd ? `&simd=${simd}` : ''}`;
  const page = await openPage(browser, undefined, pageOptions);
  try {
    const opened = Date.now();
    await page.goto(`${url}/?${query}`);
    await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 180_000 });
    const readyMs = Date.now() - opened;
    const manifest = JSON.parse(fs.readFileSync(path.join(distDir, 'assets/models', model, 'manifest.json'), 'utf8'));
    const times = [];
    for (let run = 0; run <= CLASSIFY_RUNS; run++) {
      const photo = run % 2 ? 'coffee.png' : 'chelsea.png';
      const before = await page.getAttribute('[data-testid="classification"]', 'data-finished');
      await page.click(`[data-testid="sample-${photo}"]`);
      await page.waitForFunction(
        (before) => document.querySelector('[data-testid="classification"]')?.dataset.finished !== before,
        before,
        { timeout: 120_000 },
      );
      const ms = Number((await page.textContent('[data-testid="classify-ms"]')).replace(/[^0-9.]/g, ''));
      if (run > 0) times.push(ms);
    }
    const top5 = await page.$$eval('[data-testid="top5"] li',
      (items) => items.map((li) => [Number(li.dataset.class), Number(li.dataset.probability)]));
    times.sort((a, b) => a - b);
    const simd = await page.evaluate(() => document.documentElement.dataset.labSimd);
    return { median: times[times.length >> 1], manifest, readyMs, top5, simd, profile: await readProfile(page) };
  } finally {
    if (page.consoleErrors.length) console.log(`  (classify ${model} ${backend}) page errors:\n    ${page.consoleErrors.join('\n    ')}`);
    await page.close();
  }
}

/** `BENCH_ONLY=text,classify` runs only those parts (train, peptides, text, classify, paint); default all. */
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const want = (part) => ONLY.length === 0 || ONLY.includes(part);
/** WebGPU here is Chromium's software adapter (SwiftShader): correctness only, so a few runs. */
const WEBGPU_TEXT_RUNS = 3;

/** --compare: TensorFlow.js's backends, the optimizers, and how its steps are read back. */
const TFJS_BACKENDS = ['wasm', 'cpu'];
const OPTIMIZERS = { sgd: 'SGD', adam: 'Adam' };
const TFJS_MODES = {
  tight: 'tight loop, one read-back at the end',
  readback: 'loss read back every step',
  paced: 'as the page: 10 ms of steps/frame, 1 read-back',
};
/** tfjs's runs that step back to back; the lab's tight loop runs each of them too. */
const UNPACED_MODES = Object.keys(TFJS_MODES).filter((mode) => mode !== 'paced');
const TFJS_RUN_MS = 4000;
/** A run trained when its loss fell below this share of where it started (about 0.69). */
const TRAINED = 0.5;

/**
 * The playground's training on each CPU backend, then TensorFlow.js's on the same network, all
 * in one page: a context that ignores the site's Content-Security-Policy, written for the lab's
 * own code, so that it refuses nothing tfjs does. The lab's figures, with SGD and with Adam, keyed
 * by mode as tfjs's runs are: for the paced mode the page's own readout (frame-paced, one snapshot
 * read back per frame, the optimizer picked in the playground), for the unpaced modes the same
 * trainer stepped back to back (labTightLoop).
 */
async function compareTraining(browser, url) {
  // Before the run: the load our own Chromium adds would hide whether the machine was quiet.
  const started = new Date().toISOString();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const page = await openPage(browser, undefined, { bypassCSP: true });
  const lab = {};
  const modules = {};
  const tfjs = {};
  let wasmFile;
  let isolated;
  try {
    for (const backend of BACKENDS) {
      // Each backend in a page of its own address, so in the module a reader gets with it
      // (www/module-loader.js): flex in the first module, ndarray in the full one.
      await page.goto(`${url}/?${PLAYGROUND}&backend=${backend}&lang=en`);
      await page.waitForSelector(`[data-testid="backend-status"][data-backend="${backend}"]`, { timeout: 60_000 });
      modules[backend] = await page.evaluate(() => document.documentElement.dataset.labModule);
      for (const optimizer of Object.keys(OPTIMIZERS)) {
        // Every run from step 0: a changed optimizer restarts the run, and the reset covers an
        // unchanged one.
        await page.selectOption('[data-testid=optimizer]', optimizer);
        await page.click('[data-testid=reset]');
        const run = await trainPlayground(page, backend);
        lab[`${backend} ${optimizer} paced`] = run;
        console.log(`lab ${backend} (${modules[backend]} module) ${OPTIMIZERS[optimizer]}, the page's figure: ${run.value} steps/s at ${run.frames.fps.toFixed(1)} frames/s, ${loss(run)}`);
      }
      // The same trainer stepped back to back (src/demos/playground/tight_loop.rs), for the rows
      // where tfjs does not pace its steps: the page's readout is paced, so it is the lab's
      // figure only in the paced row. A short run first, as tfjs's warm-up steps.
      await labTightLoop(page, { backend, optimizer: 'sgd', readBack: false, ms: 300 });
      for (const optimizer of Object.keys(OPTIMIZERS)) {
        for (const mode of UNPACED_MODES) {
          const run = await labTightLoop(page, { backend, optimizer, readBack: mode === 'readback', ms: TFJS_RUN_MS });
          lab[`${backend} ${optimizer} ${mode}`] = run;
          console.log(`lab ${backend} ${OPTIMIZERS[optimizer]} ${mode}: ${run.value.toFixed(0)} steps/s, ${loss(run)}`);
        }
      }
    }
    const fetched = await installTfjs(page);
    isolated = await page.evaluate(() => crossOriginIsolated);
    for (const backend of TFJS_BACKENDS) {
      for (const optimizer of Object.keys(OPTIMIZERS)) {
        for (const mode of Object.keys(TFJS_MODES)) {
          const run = await trainTfjs(page, { backend, optimizer, mode, ms: TFJS_RUN_MS });
          tfjs[`${backend} ${optimizer} ${mode}`] = run;
          console.log(`tfjs-${backend} ${optimizer} ${mode}: ${run.stepsPerSecond.toFixed(0)} steps/s, ${loss(run)}, `
            + `${run.threads} thread(s), ${run.leakedTensors} tensors left over`);
        }
      }
    }
    wasmFile = fetched.find((name) => name.endsWith('.wasm'));
    if (page.consoleErrors.length) console.log(`page errors:\n  ${page.consoleErrors.join('\n  ')}`);
  } finally {
    await page.close();
  }

  const fmt = (x) => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
  const ratio = (a, b) => (a === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
  const threads = tfjs['wasm sgd tight'].threads;
  console.log(`
Training, lab vs TensorFlow.js 4.22 in one headless Chromium tab, from ${started}
(${os.cpus().length} CPUs, load average before it ${load}). Network 2-16-16-1 tanh, sigmoid cross-entropy,
batch 64, 200 circle points, learning rate 0.03; Adam 0.9/0.999/1e-8.
lab, paced row: the playground's steps/s readout (frame-paced: 10 ms of steps and one snapshot read
back per frame, evaluation of the whole split and a 32x32 grid included), its optimizer picked in the page.
lab, tight and read-back rows: the same trainer stepped back to back in the same page for the same time
(playgroundTightLoop), one loss read back at the end or every step's loss read back, as tfjs's runs.
Each backend in the module its address loads: ${BACKENDS.map((b) => `${b} ${modules[b]}`).join(', ')}; tfjs in the last page.
tfjs-wasm: ${wasmFile}, ${threads} thread (crossOriginIsolated ${isolated}: no SharedArrayBuffer
without COOP/COEP); tfjs-cpu: its plain JavaScript backend. ${TFJS_RUN_MS / 1000} s per run after 50 warm-up steps.
Goal: lab/tfjs-wasm >= 2x.
`);
  const header = ['optimizer', 'tfjs run', 'tfjs-wasm', 'tfjs-cpu',
    ...BACKENDS.flatMap((b) => [`lab ${b}`, `${b}/wasm`])];
  const rows = [];
  for (const [optimizer, name] of Object.entries(OPTIMIZERS)) {
    for (const [mode, description] of Object.entries(TFJS_MODES)) {
      const wasm = tfjs[`wasm ${optimizer} ${mode}`].stepsPerSecond;
      const labFigure = (b) => lab[`${b} ${optimizer} ${mode}`].value;
      rows.push([name, description, fmt(wasm), fmt(tfjs[`cpu ${optimizer} ${mode}`].stepsPerSecond),
        ...BACKENDS.flatMap((b) => [fmt(labFigure(b)), ratio(labFigure(b), wasm)])]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    console.log(`  ${row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}`);
  }

  const untrained = [
    ...Object.entries(lab).map(([key, run]) => [`lab ${key}`, run]),
    ...Object.entries(tfjs).map(([key, run]) => [`tfjs-${key}`, run]),
  ].filter(([, run]) => !(run.lossAfter < run.lossBefore * TRAINED));
  const leaked = Object.entries(tfjs).filter(([, run]) => run.leakedTensors !== 0);
  if (untrained.length || leaked.length) {
    for (const [name, run] of untrained) console.error(`bench: ${name} did not train: ${loss(run)}`);
    for (const [name, run] of leaked) console.error(`bench: tfjs-${name} left ${run.leakedTensors} tensors behind`);
    process.exitCode = 1;
  }
}

/**
 * --compare: training against TensorFlow.js (a plain server, as the site is hosted), then
 * inference against onnxruntime-web (a cross-origin-isolated server, for ORT's threads), in one
 * browser. BENCH_ONLY=train or BENCH_ONLY=infer runs one half.
 */
async function compare() {
  const browser = await launchBrowser({ webgpu: false });
  try {
    if (want('train')) {
      const server = await serveDist(distDir);
      try {
        await compareTraining(browser, server.url);
      } finally {
        await server.close();
      }
    }
    if (want('infer')) {
      const server = await serveDist(distDir, { isolated: true, mounts: ortMounts() });
      try {
        await compareInference({ browser, url: server.url, classifyRuns, textRuns, distDir });
      } finally {
        await server.close();
      }
    }
  } finally {
    await browser.close();
  }
}

async function main() {
  if (process.argv.includes('--compare')) {
    await compare();
    return;
  }
  const rows = [];

  const wasmFiles = fs.existsSync(distDir) ? fs.readdirSync(distDir).filter((f) => f.endsWith('.wasm')) : [];
  for (const f of wasmFiles) {
    const buf = fs.readFileSync(path.join(distDir, f));
    const gz = zlib.gzipSync(buf, { level: 9 }).length;
    console.log(`wasm ${f}: ${buf.length} bytes raw, ${gz} bytes gzip -9`);
    rows.push([`wasm ${f}`, `${buf.length} B (${kib(buf.length)}) raw, ${gz} B (${kib(gz)}) gzip -9`]);
  }

  const server = await serveDist(distDir);
  const browser = await launchBrowser({ webgpu: false });
  try {
    // One figure per CPU backend; a failure is printed as n/a and the others still run.
    const perBackend = async (name, measure) => {
      for (const backend of BACKENDS) {
        let figure;
        try {
          figure = await measure(backend);
        } catch (err) {
          figure = `n/a (${err.message.split('\n')[0]})`;
        }
        console.log(`${name(backend)}: ${figure}`);
        rows.push([name(backend), figure]);
      }
    };
    if (want('train')) {
      await perBackend((b) => `browser ${b}`, async (backend) => {
        const run = await stepsPerSecond(browser, server.url, backend);
        const { value, frames } = run;
        return `${value} steps/s at ${frames.fps.toFixed(1)} frames/s (longest frame ${frames.longestGapMs.toFixed(0)} ms), ${loss(run)}`;
      });
    }
    for (const set of want('peptides') ? PEPTIDE_SETS : []) {
      await perBackend((b) => `browser peptides ${set} ${b}`, (backend) => peptideStepsPerSecond(browser, server.url, backend, set));
    }
    if (want('text')) {
      for (const model of TEXT_MODELS) {
        await perBackend((b) => `browser text ${model} ${b} (median of ${TEXT_RUNS})`, (backend) => textLatency(browser, server.url, backend, model));
      }
      const gpu = await launchBrowser({ webgpu: true });
      try {
        for (const model of TEXT_MODELS) {
          const name = `browser text ${model} webgpu, SwiftShader: correctness only (median of ${WEBGPU_TEXT_RUNS})`;
          let figure;
          try {
            figure = await textLatency(gpu, server.url, 'webgpu', model, WEBGPU_TEXT_RUNS);
          } catch (err) {
            figure = `n/a (${err.message.split('\n')[0]})`;
          }
          console.log(`${name}: ${figure}`);
          rows.push([name, figure]);
        }
      } finally {
        await gpu.close();
      }
    }
    // The default model, and the ResNet-50 `cargo xtask bench` converts into dist/ (the
    // article's ~8.2 GFLOP network, seeded weights: the same cost as trained ones).
    const models = JSON.parse(fs.readFileSync(path.join(distDir, 'assets/models/index.json'), 'utf8')).models;
    for (const model of want('classify') ? models : []) {
      await perBackend((b) => `browser classify ${model} ${b} (median of ${CLASSIFY_RUNS})`, (backend) => classifyLatency(browser, server.url, backend, model));
    }

    // The start page, then each demo opened directly, as a link from the article opens it: over
    // loopback (the page's own work), then over a home connection from a host that serves
    // gzip (the download included).
    const demos = want('paint') ? [null, ...(await demoIds(browser, server.url))] : [];
    const loads = async (url, network, where) => {
      for (const demo of demos) {
        const { fcp, tti, backend, module, wasmBytes } = await loadTimes(browser, url, demo, network);
        const label = `load ${demo ? `?demo=${demo}` : 'start page'}, ${where} (mean of ${PAINT_LOADS} cold loads, ${backend})`;
        const figure = `first contentful paint ${fcp.toFixed(0)} ms, interactive ${tti.toFixed(0)} ms, `
          + `${module} module, ${(wasmBytes / 1e6).toFixed(2)} MB of wasm fetched`;
        console.log(`${label}: ${figure}`);
        rows.push([label, figure]);
      }
    };
    await loads(server.url, null, 'loopback');
    if (demos.length) {
      const gzipped = await serveDist(distDir, { gzip: true });
      try {
        await loads(gzipped.url, HOME_NETWORK, HOME_NETWORK.label);
      } finally {
        await gzipped.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }

  printTable(rows);
}

main().catch((err) => {
  console.error(`bench: ${err.stack ?? err}`);
  process.exitCode = 1;
});
