// onnxruntime-web 1.30.0 (pinned in package-lock.json next to this file; `npm ci` here) running
// the ONNX exports of the lab's checkpoints (scripts/export_onnx.py, into .cache/onnx/) in a page
// of the same headless Chromium session as the lab, for `node tests/e2e/bench.mjs --compare`.
//
// - ortMounts(): the folders the bench server serves under /__ort/ (onnxruntime-web's dist/),
//   /__onnx/ (.cache/onnx/) and /__bench/ (this folder: ort.html, an empty page); throws with
//   what to run when a file is missing
// - installOrt(page, threads): onnxruntime-web's wasm build loaded into `page` (an ort.html on the
//   cross-origin-isolated server), its wasm execution provider set to `threads` threads (fixed
//   once the wasm has started: one page per thread count)
// - the in-page window.ortBench: create (fetch, then session creation, timed apart), time (median
//   of N runs after a warm-up, back to back or each after a pause), probabilities (a
//   classifier's softmax), hidden (an encoder's last hidden state), release

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
export const ORT_DIR = path.join(here, 'node_modules/onnxruntime-web/dist');
export const ONNX_DIR = path.join(repoRoot, '.cache/onnx');
/** The lab's preprocessing of chelsea.png (model-convert preprocess), 3x224x224 f32 little-endian. */
export const CHELSEA_INPUT = 'inputs/chelsea.f32';
export const ONNX_FILES = {
  'efficientnet-lite0': { fp32: 'efficientnet-lite0.fp32.onnx', int8: 'efficientnet-lite0.int8.onnx' },
  'minilm-l6': { fp32: 'minilm-l6.fp32.onnx', int8: 'minilm-l6.int8.onnx' },
};
const ORT_MODULE = 'ort.wasm.min.mjs';

/** The server's mounts for the comparison; throws with the command to run when something is missing. */
export function ortMounts() {
  if (!fs.existsSync(path.join(ORT_DIR, ORT_MODULE))) {
    throw new Error('onnxruntime-web is not installed (run `npm ci` in tests/bench)');
  }
  const missing = [CHELSEA_INPUT, ...Object.values(ONNX_FILES).flatMap(Object.values)]
    .filter((file) => !fs.existsSync(path.join(ONNX_DIR, file)));
  if (missing.length) {
    throw new Error(`missing in .cache/onnx: ${missing.join(', ')} (run \`cargo xtask bench --compare\`, `
      + 'which exports them, or scripts/export_onnx.py as its --help says)');
  }
  return { '/__ort/': ORT_DIR, '/__onnx/': ONNX_DIR, '/__bench/': here };
}

/** What scripts/export_onnx.py recorded (versions, sizes, its own checks against torch). */
export function onnxIndex() {
  return JSON.parse(fs.readFileSync(path.join(ONNX_DIR, 'index.json'), 'utf8'));
}

/**
 * Loads onnxruntime-web into `page` with `threads` threads. Returns what the page says about
 * itself: ORT's version, crossOriginIsolated, navigator.hardwareConcurrency.
 */
export async function installOrt(page, threads) {
  return page.evaluate(defineOrtBench, { module: `/__ort/${ORT_MODULE}`, wasmPaths: '/__ort/', threads });
}

/** Runs in the page: defines window.ortBench. Everything it uses must be inside it. */
async function defineOrtBench({ module, wasmPaths, threads }) {
  const ort = await import(module);
  ort.env.wasm.wasmPaths = `${location.origin}${wasmPaths}`;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  const sessions = {};

  const int64 = (values) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), [1, values.length]);
  const textFeeds = (ids) => ({
    input_ids: int64(ids),
    attention_mask: int64(ids.map(() => 1)),
    token_type_ids: int64(ids.map(() => 0)),
  });
  const imageFeeds = (pixels) => ({ input: new ort.Tensor('float32', pixels, [1, 3, 224, 224]) });
  const inputs = {};
  const feedsOf = async (spec) => {
    if (spec.ids) return textFeeds(spec.ids);
    inputs[spec.image] ??= new Float32Array(await (await fetch(spec.image)).arrayBuffer());
    return imageFeeds(inputs[spec.image]);
  };

  window.ortBench = {
    /** Fetches `url` and creates its session; the two times apart (ms), and the bytes. */
    async create(name, url) {
      const t0 = performance.now();
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const t1 = performance.now();
      sessions[name] = await ort.InferenceSession.create(bytes, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
      });
      const t2 = performance.now();
      return { fetchMs: t1 - t0, createMs: t2 - t1, bytes: bytes.length };
    },
    /**
     * `warmup` runs, then the median and the fastest of `runs` (ms), each timed alone; with
     * `pauseMs`, each timed run starts after that long idle, as a demo's run after a pause.
     */
    async time(name, spec, { runs, warmup, pauseMs = 0 }) {
      const session = sessions[name];
      const feeds = await feedsOf(spec);
      for (let i = 0; i < warmup; i++) await session.run(feeds);
      const times = [];
      for (let i = 0; i < runs; i++) {
        if (pauseMs) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        const t = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return { median: times[times.length >> 1], fastest: times[0] };
    },
    /** The classifier's softmax over its logits for the image at `url`. */
    async probabilities(name, url) {
      const { logits } = await sessions[name].run(await feedsOf({ image: url }));
      const values = Array.from(logits.data);
      const top = Math.max(...values);
      const exp = values.map((v) => Math.exp(v - top));
      const sum = exp.reduce((a, b) => a + b, 0);
      return exp.map((v) => v / sum);
    },
    /** The encoder's last hidden state [seq][hidden] for token ids `ids`. */
    async hidden(name, ids) {
      const { last_hidden_state: h } = await sessions[name].run(textFeeds(ids));
      const [, seq, size] = h.dims;
      return Array.from({ length: seq }, (_, i) => Array.from(h.data.subarray(i * size, (i + 1) * size)));
    },
    async release(name) {
      await sessions[name].release();
      delete sessions[name];
    },
  };
  return { version: ort.env.versions?.web ?? 'unknown', isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency };
}
