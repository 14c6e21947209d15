// bench --compare's inference half: the lab's classify and text demos against onnxruntime-web
// 1.30.0 (ort.mjs) on ONNX exports of the same checkpoints, in one headless Chromium session on
// a cross-origin-isolated server (COOP/COEP, so that ORT can start its threads).
//
// compareInference({browser, url, classifyRuns, textRuns}) measures, then prints three tables
// (medians in ms; ratios lab/ORT; model creation times) and the agreement lines. classifyRuns and
// textRuns are bench.mjs's measurements of the demos, as its plain benchmark takes them.
//
// What is compared:
// - EfficientNet-Lite0: the lab's figure is the classify demo's per photo, which is two forward
//   passes (the normalised input and the article's unnormalised one) plus preprocessing and the
//   round trip to the lab's worker; ORT's is one session.run on the lab's own preprocessed input,
//   so the ratio uses the lab's figure halved (the preprocessing stays in it: the lab's handicap).
//   Agreement: the top 5 probabilities the page shows for chelsea.png against ORT's softmax on the
//   lab's preprocessing of the same photo (model-convert preprocess), at the same classes.
// - MiniLM-L6 (all-MiniLM-L6-v2, converted by `model-convert --arch bert` into
//   dist/text-models/minilm-l6): the text demo's analysis time (tokenize, the encoder with its
//   attentions, the pooler; the attentions' read-back is outside it); ORT gets the token ids the
//   page made for each length and computes the last hidden state and the pooler output.
//   Agreement: the page shows no output of this encoder as numbers (no head), so ORT's last hidden
//   state is compared with transformers' on the fixture sentences (crates/lab-core/tests/fixtures/
//   bert_reference.json), the reference the lab's own test (crates/model-convert/tests/bert.rs)
//   holds its BERT to within 1e-3 on every backend.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeProfile } from '../e2e/harness.mjs';
import { CHELSEA_INPUT, ONNX_FILES, installOrt, onnxIndex } from './ort.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

const BACKENDS = ['flex', 'ndarray'];
const WEIGHTS = { f32: 'weights.f32.safetensors', int8: 'weights.int8.safetensors' };
const IMAGE_MODEL = 'efficientnet-lite0';
const TEXT_MODEL = 'minilm-l6';
/**
 * The lab's runs: each CPU backend with each weights file in the module the loader picks (in
 * Chromium the full module's relaxed-SIMD build), and flex's f32 file again in the simd128 module
 * (`simd=simd128`: that build with its relaxed instructions lowered), which browsers without
 * relaxed SIMD run.
 */
const LAB_RUNS = [
  ...BACKENDS.flatMap((backend) => Object.entries(WEIGHTS).map(([precision, weights]) => ({ key: `${backend} ${precision}`, backend, weights }))),
  { key: 'flex f32 simd128', backend: 'flex', weights: WEIGHTS.f32, simd: 'simd128' },
];
const RUNS = 20;
const WARMUP = 1;
/**
 * The text demo computes once its reader pauses typing (TYPING_PAUSE_MS in the demo), so every
 * lab run starts after that long idle, its caches cooled by whatever else ran; ORT's MiniLM runs
 * are also timed each after the same pause, besides back to back.
 */
const TYPING_PAUSE_MS = (() => {
  const source = fs.readFileSync(path.join(repoRoot, 'src/demos/text/mod.rs'), 'utf8');
  const found = source.match(/const TYPING_PAUSE_MS: u64 = (\d+);/);
  if (!found) throw new Error('src/demos/text/mod.rs: no `const TYPING_PAUSE_MS: u64 = <ms>;`');
  return Number(found[1]);
})();

const ms = (x) => (x === undefined ? 'n/a' : x < 10 ? x.toFixed(1) : x.toFixed(0));
const ratio = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);

function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) {
    console.log(`  ${row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')}`);
  }
}

/** The lab's figures: lab[key of LAB_RUNS] = {classify, text} (each may hold an error). */
async function measureLab({ browser, url, classifyRuns, textRuns, distDir }) {
  const lab = {};
  const hasText = fs.existsSync(path.join(distDir, 'text-models', TEXT_MODEL, 'manifest.json'));
  for (const { key, backend, weights, simd } of LAB_RUNS) {
    lab[key] = {};
    const options = { weights, simd, pageOptions: { bypassCSP: true } };
    try {
      const run = await classifyRuns(browser, url, backend, IMAGE_MODEL, options);
      lab[key].classify = run;
      console.log(`lab ${IMAGE_MODEL} ${key}: ${ms(run.median)} ms per photo (2 passes), ready after ${run.readyMs} ms, ${run.simd} module`);
    } catch (err) {
      lab[key].classifyError = err.message.split('\n')[0];
      console.log(`lab ${IMAGE_MODEL} ${key}: n/a (${lab[key].classifyError})`);
    }
    if (!hasText) continue;
    try {
      const run = await textRuns(browser, url, backend, TEXT_MODEL, { ...options, runs: RUNS, exact: true });
      lab[key].text = run;
      console.log(`lab ${TEXT_MODEL} ${key}: ${run.lengths.map((l) => `${l.tokens} tokens ${ms(l.median)} ms`).join(', ')}, ready after ${run.readyMs} ms, ${run.simd} module`);
    } catch (err) {
      lab[key].textError = err.message.split('\n')[0];
      console.log(`lab ${TEXT_MODEL} ${key}: n/a (${lab[key].textError})`);
    }
  }
  return { lab, hasText };
}

/** The token ids per length: the lab's own (flex, f32 file), else [CLS] [UNK]... [SEP]. */
function textInputs(lab) {
  const run = Object.values(lab).find((l) => l.text)?.text;
  if (run) return run.lengths.map(({ tokens, ids }) => ({ tokens, ids }));
  return [16, 64, 128].map((tokens) => ({ tokens, ids: [101, ...Array(tokens - 2).fill(100), 102] }));
}

/** ORT's figures: ort[`${precision} ${threads}`] = {create: {model: ...}, classify, text: [...]}. */
async function measureOrt({ browser, url, inputs, fixture }) {
  const ort = {};
  const agreement = {};
  let info;
  const threadCounts = [];
  for (const threads of [1, 'cores']) {
    const page = await browser.newPage({ bypassCSP: true });
    try {
      await page.goto(`${url}/__bench/ort.html`);
      const count = threads === 'cores' ? await page.evaluate(() => navigator.hardwareConcurrency) : threads;
      if (threadCounts.includes(count)) continue;
      threadCounts.push(count);
      info = await installOrt(page, count);
      for (const precision of ['fp32', 'int8']) {
        const key = `${precision} ${count}`;
        const entry = { create: {} };
        ort[key] = entry;
        const image = `/__onnx/${CHELSEA_INPUT}`;
        entry.create[IMAGE_MODEL] = await page.evaluate(([n, u]) => window.ortBench.create(n, u), [IMAGE_MODEL, `/__onnx/${ONNX_FILES[IMAGE_MODEL][precision]}`]);
        entry.classify = await page.evaluate(([n, spec, o]) => window.ortBench.time(n, spec, o), [IMAGE_MODEL, { image }, { runs: RUNS, warmup: WARMUP }]);
        if (count === 1) {
          agreement[`${IMAGE_MODEL} ${precision}`] = await page.evaluate(([n, u]) => window.ortBench.probabilities(n, u), [IMAGE_MODEL, image]);
        }
        await page.evaluate((n) => window.ortBench.release(n), IMAGE_MODEL);
        entry.create[TEXT_MODEL] = await page.evaluate(([n, u]) => window.ortBench.create(n, u), [TEXT_MODEL, `/__onnx/${ONNX_FILES[TEXT_MODEL][precision]}`]);
        entry.text = [];
        for (const { tokens, ids } of inputs) {
          const timed = await page.evaluate(([n, spec, o]) => window.ortBench.time(n, spec, o), [TEXT_MODEL, { ids }, { runs: RUNS, warmup: WARMUP }]);
          const paused = count === 1
            ? await page.evaluate(([n, spec, o]) => window.ortBench.time(n, spec, o), [TEXT_MODEL, { ids }, { runs: RUNS, warmup: WARMUP, pauseMs: TYPING_PAUSE_MS }])
            : undefined;
          entry.text.push({ tokens, ...timed, pausedMedian: paused?.median });
        }
        if (count === 1) {
          let worst = 0;
          for (const sentence of fixture.sentences) {
            const hidden = await page.evaluate(([n, ids]) => window.ortBench.hidden(n, ids), [TEXT_MODEL, sentence.input_ids]);
            hidden.forEach((row, i) => row.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - sentence.last_hidden_state[i][j])); }));
          }
          agreement[`${TEXT_MODEL} ${precision}`] = worst;
        }
        await page.evaluate((n) => window.ortBench.release(n), TEXT_MODEL);
        console.log(`ort ${key} thread(s): ${IMAGE_MODEL} ${ms(entry.classify.median)} ms per pass, ${TEXT_MODEL} `
          + `${entry.text.map((t) => `${t.tokens} tokens ${ms(t.median)} ms${t.pausedMedian === undefined ? '' : ` (${ms(t.pausedMedian)} after a pause)`}`).join(', ')}`);
      }
      if (page.consoleErrors?.length) console.log(`ort page errors: ${page.consoleErrors.join('; ')}`);
    } finally {
      await page.close();
    }
  }
  return { ort, agreement, info, threadCounts };
}

export async function compareInference({ browser, url, classifyRuns, textRuns, distDir }) {
  const started = new Date().toISOString();
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const fixture = JSON.parse(fs.readFileSync(path.join(repoRoot, 'crates/lab-core/tests/fixtures/bert_reference.json'), 'utf8'));
  const { lab, hasText } = await measureLab({ browser, url, classifyRuns, textRuns, distDir });
  const inputs = textInputs(lab);
  const { ort, agreement, info, threadCounts } = await measureOrt({ browser, url, inputs, fixture });
  const exported = onnxIndex();
  const [one, many] = [threadCounts[0], threadCounts.at(-1)];

  console.log(`
Inference, lab vs onnxruntime-web ${info.version} in one headless Chromium session, from ${started}
(${os.cpus().length} CPUs, load average before it ${load}; the page crossOriginIsolated ${info.isolated}, navigator.hardwareConcurrency ${info.cores}).
Medians of ${RUNS} after ${WARMUP} warm-up, ms. lab: the demos' own timings (classify: per photo / 2, as a photo is two passes,
preprocessing and the worker round trip included; text: tokenize + encoder with attentions + pooler); the lab computes in f32
on one thread from either weights file (int8: the quantized dense layers and, in the CNN, 1×1 convolutions in integers), in the module
the page's loader picked (${lab['flex f32'].text?.simd ?? lab['flex f32'].classify?.simd}), and "flex f32 simd128" in the simd128 module (\`simd=simd128\`: the relaxed build lowered, what a
browser without relaxed SIMD runs). ORT: wasm execution provider, ${one} and ${many} thread(s),
fp32 and int8 (quantize_dynamic, per channel: ${exported['efficientnet-lite0'].int8_ops.join('/')} in the CNN, ${exported['minilm-l6'].int8_ops.join('/')} in MiniLM).
Goals: lab (f32, 1 thread) / ORT fp32 with the same threads (${one}) <= 1.0x; the lab's int8 file faster than its f32 file.
"after pause": ORT's MiniLM runs each after ${TYPING_PAUSE_MS} ms idle, as every run of the lab's text demo starts (its typing pause).
${hasText ? '' : `MiniLM-L6 not measured in the lab: dist/text-models/${TEXT_MODEL} is missing (cargo xtask bench --compare converts it).\n`}`);
  // pausedOf: ORT's figure with each run after the typing pause (MiniLM at one thread only).
  const rowsOf = (fn) => [
    fn(IMAGE_MODEL, '224x224', (l) => (l.classify ? l.classify.median / 2 : undefined), (o) => o.classify.median, () => undefined),
    ...inputs.map((input, i) => fn(TEXT_MODEL, `${input.tokens} tokens`,
      (l) => l.text?.lengths[i].median, (o) => o.text[i].median, (o) => o.text[i].pausedMedian)),
  ];
  const labKeys = LAB_RUNS.map(({ key }) => key);
  const ortKeys = ['fp32', 'int8'].flatMap((p) => threadCounts.map((t) => `${p} ${t}`));
  printTable(
    ['model', 'input', ...labKeys.map((k) => `lab ${k}`), ...ortKeys.map((k) => `ORT ${k}t`),
      `ORT fp32 ${one}t after pause`, `ORT int8 ${one}t after pause`],
    rowsOf((model, input, labOf, ortOf, pausedOf) => [model, input, ...labKeys.map((k) => ms(labOf(lab[k]))), ...ortKeys.map((k) => ms(ortOf(ort[k]))),
      ms(pausedOf(ort[`fp32 ${one}`])), ms(pausedOf(ort[`int8 ${one}`]))]),
  );
  console.log('\nRatios lab/ORT (below 1.0x: the lab is faster); int8/f32: the lab\'s int8 file against its f32 file on flex:');
  // undefined (printed n/a) when no backend has a figure, as for a model missing from dist/.
  const best = (labOf, precision) => {
    const figures = BACKENDS.map((b) => labOf(lab[`${b} ${precision}`])).filter((x) => x !== undefined);
    return figures.length ? Math.min(...figures) : undefined;
  };
  printTable(
    ['model', 'input', `flex/fp32 ${one}t`, `flex/fp32 ${one}t after pause`, `flex simd128/fp32 ${one}t`, `ndarray/fp32 ${one}t`, `best/fp32 ${many}t`, `best int8 file/int8 ${one}t`, `best int8 file/int8 ${many}t`, 'lab int8/f32 flex', 'flex f32 relaxed/simd128'],
    rowsOf((model, input, labOf, ortOf, pausedOf) => [model, input,
      ratio(labOf(lab['flex f32']), ortOf(ort[`fp32 ${one}`])),
      ratio(labOf(lab['flex f32']), pausedOf(ort[`fp32 ${one}`])),
      ratio(labOf(lab['flex f32 simd128']), ortOf(ort[`fp32 ${one}`])),
      ratio(labOf(lab['ndarray f32']), ortOf(ort[`fp32 ${one}`])),
      ratio(best(labOf, 'f32'), ortOf(ort[`fp32 ${many}`])),
      ratio(best(labOf, 'int8'), ortOf(ort[`int8 ${one}`])),
      ratio(best(labOf, 'int8'), ortOf(ort[`int8 ${many}`])),
      ratio(labOf(lab['flex int8']), labOf(lab['flex f32'])),
      ratio(labOf(lab['flex f32']), labOf(lab['flex f32 simd128']))]),
  );
  console.log('\nWhere the lab\'s time went (its per-op profile of the last run, f32 file; the classifier\'s covers both passes of a photo):');
  for (const { key } of LAB_RUNS.filter(({ weights }) => weights === WEIGHTS.f32)) {
    const run = lab[key];
    if (run.classify) console.log(`  ${IMAGE_MODEL} ${key}:${describeProfile(run.classify.profile)}`);
    for (const length of run.text?.lengths ?? []) {
      console.log(`  ${TEXT_MODEL} ${length.tokens} tokens ${key}:${describeProfile(length.profile)}`);
    }
  }
  console.log('\nModel creation, ms: lab = opening the demo until the model shows ready (the app\'s start, fetch, sha256, load);'
    + ' ORT = fetch + InferenceSession.create:');
  printTable(
    ['model', 'file', ...labKeys.map((k) => `lab ${k}`), ...ortKeys.map((k) => `ORT ${k}t`)],
    [IMAGE_MODEL, TEXT_MODEL].map((model) => [model, 'ready', ...labKeys.map((k) => {
      const run = model === IMAGE_MODEL ? lab[k].classify : lab[k].text;
      return run ? String(run.readyMs) : 'n/a';
    }), ...ortKeys.map((k) => {
      const c = ort[k].create[model];
      return `${ms(c.fetchMs)}+${ms(c.createMs)}`;
    })]),
  );

  console.log('\nAgreement (both run the same model):');
  // The lab's int8 file is weight-only (per output channel); on the host the lab rounds the
  // activations of its int8 layers to 16 bits, ORT's int8 quantizes every activation to 8 bits
  // at run time, so each int8 is compared with both ORT files.
  for (const [key, run] of Object.entries(lab)) {
    if (!run.classify) continue;
    for (const precision of key.endsWith('int8') ? ['fp32', 'int8'] : ['fp32']) {
      const probabilities = agreement[`${IMAGE_MODEL} ${precision}`];
      const diff = Math.max(...run.classify.top5.map(([c, p]) => Math.abs(p - probabilities[c])));
      const ortTop = probabilities.map((p, c) => [c, p]).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([c]) => c);
      const same = ortTop.join(',') === run.classify.top5.map(([c]) => c).join(',');
      console.log(`  ${IMAGE_MODEL}, chelsea.png top 5, lab ${key} vs ORT ${precision}: max |probability diff| ${diff.toExponential(2)}, `
        + `top-5 classes ${same ? 'identical' : `differ (lab ${run.classify.top5.map(([c]) => c)}, ORT ${ortTop})`}`);
    }
  }
  for (const precision of ['fp32', 'int8']) {
    console.log(`  ${TEXT_MODEL} ORT ${precision} vs transformers (${fixture.sentences.length} fixture sentences): max |last hidden state diff| `
      + `${agreement[`${TEXT_MODEL} ${precision}`].toExponential(2)}; the lab's BERT is held to 1e-3 of the same (crates/model-convert/tests/bert.rs)`);
  }
  console.log(`  export checks (scripts/export_onnx.py, onnxruntime CPU vs torch): ${IMAGE_MODEL} fp32 max |logit diff| `
    + `${exported[IMAGE_MODEL].checks.fp32.max_abs_logits_vs_torch.toExponential(2)}, int8 ${exported[IMAGE_MODEL].checks.int8.max_abs_logits_vs_torch.toFixed(2)}`);

  const failed = Object.entries(lab).filter(([, l]) => l.classifyError || l.textError);
  if (failed.length) process.exitCode = 1;
}
