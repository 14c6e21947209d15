// TensorFlow.js 4.22 (pinned in package-lock.json next to this file; `npm ci` here) trained in a
// page the lab's playground already runs in, for `node tests/e2e/bench.mjs --compare`: the
// playground's benchmark network and data, written with tfjs's core API.
//
// - installTfjs(page): tf.min.js and the wasm backend served to the page from node_modules under
//   the page's own origin (page.route), no other server; the page's context ignores the site's
//   Content-Security-Policy (bypassCSP), written for the lab's own code, not for tfjs's
// - trainTfjs(page, {backend, optimizer, mode, ms}): steps/s and the training loss before and after
//
// The network: 2-16-16-1, tanh hidden layers, a logit out, sigmoid binary cross-entropy (mean over
// the batch), Glorot-uniform weights and zero biases, batch 64 from 200 circle points (400 with
// noise 0.1, half for training) reshuffled every epoch, as lab-core's `Trainer` with the
// playground's `data=circle&layers=16,16&batch=64&lr=0.03`. Each step uploads its batch from
// host arrays, as the lab's does. tfjs gets its fastest path: variables and
// `optimizer.minimize` (no Layers model), dense layers as `tf.fused.matMul` with the bias.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, 'node_modules', '@tensorflow');

/** The files the page may ask for under /__tfjs/: the two bundles and the wasm backend's binaries. */
const FILES = {
  'tf.min.js': path.join(modules, 'tfjs/dist/tf.min.js'),
  'tf-backend-wasm.min.js': path.join(modules, 'tfjs-backend-wasm/dist/tf-backend-wasm.min.js'),
  'tfjs-backend-wasm.wasm': path.join(modules, 'tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
  'tfjs-backend-wasm-simd.wasm': path.join(modules, 'tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'),
  'tfjs-backend-wasm-threaded-simd.wasm': path.join(modules, 'tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'),
};
const PREFIX = '/__tfjs/';

/**
 * Loads tfjs and its wasm backend into `page` (already on the lab's site). Returns the names of
 * the files the page fetched, so the caller can say which wasm binary ran.
 */
export async function installTfjs(page) {
  const missing = Object.values(FILES).filter((file) => !fs.existsSync(file));
  if (missing.length) {
    throw new Error(`tfjs is not installed (run \`npm ci\` in tests/bench): ${missing.join(', ')}`);
  }
  const fetched = [];
  await page.route(`**${PREFIX}*`, (route) => {
    const name = new URL(route.request().url()).pathname.slice(PREFIX.length);
    const file = FILES[name];
    if (!file) return route.fulfill({ status: 404 });
    fetched.push(name);
    const contentType = name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript; charset=utf-8';
    return route.fulfill({ status: 200, contentType, body: fs.readFileSync(file) });
  });
  await page.addScriptTag({ url: `${PREFIX}tf.min.js` });
  await page.addScriptTag({ url: `${PREFIX}tf-backend-wasm.min.js` });
  await page.evaluate(defineBench, PREFIX);
  return fetched;
}

/**
 * One measurement in the page, from fresh weights (the same every call) and a fresh optimizer:
 * 50 warm-up steps, then `ms` of steps in `mode`:
 * - 'tight': steps back to back, nothing read until the end (one dataSync, inside the time)
 * - 'readback': the loss read back (dataSync) after every step
 * - 'paced': as the playground's loop, once per animation frame steps for a 10 ms budget and the
 *   last step's loss read back; steps/s over wall time, idle time between frames included
 * Returns {stepsPerSecond, steps, lossBefore, lossAfter (the mean loss over the 200 training
 * points), threads, leakedTensors}.
 */
export async function trainTfjs(page, { backend, optimizer, mode, ms }) {
  return page.evaluate((options) => window.tfjsBench.run(options), { backend, optimizer, mode, ms });
}

/** Runs in the page: defines window.tfjsBench. Everything it uses must be inside it. */
function defineBench(prefix) {
  const { tf } = window;
  tf.wasm.setWasmPaths(`${location.origin}${prefix}`);

  const SAMPLES = 400;
  const NOISE = 0.1;
  const BATCH = 64;
  const LEARNING_RATE = 0.03;
  const LAYERS = [2, 16, 16, 1];
  const WARM_UP = 50;
  const FRAME_BUDGET_MS = 10;

  // mulberry32: a small seeded generator, so every run starts from the same data and weights.
  const rng = (seed) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

  // lab-core's circle: the inner half labelled 1 (radius below 0.45), the outer ring 0 (0.65 to
  // 0.95), each coordinate jittered by N(0, noise/2) and clamped to [-1, 1]; shuffled, half kept.
  const random = rng(1);
  const points = [];
  for (let i = 0; i < SAMPLES; i++) {
    const inside = i < SAMPLES / 2;
    const radius = inside ? 0.45 * random() : 0.65 + 0.3 * random();
    const angle = 2 * Math.PI * random();
    const jitter = (x) => Math.min(1, Math.max(-1, x + normal(random) * NOISE * 0.5));
    points.push([jitter(radius * Math.cos(angle)), jitter(radius * Math.sin(angle)), inside ? 1 : 0]);
  }
  const shuffle = (array) => {
    for (let i = array.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [array[i], array[j]] = [array[j], array[i]];
    }
  };
  shuffle(points);
  const train = points.slice(0, SAMPLES / 2);

  const lossOf = (weights, xs, ys) => {
    let h = xs;
    for (let layer = 0; layer < weights.length; layer += 2) {
      h = tf.fused.matMul({ a: h, b: weights[layer], bias: weights[layer + 1] });
      if (layer + 2 < weights.length) h = tf.tanh(h);
    }
    return tf.losses.sigmoidCrossEntropy(ys, h);
  };

  async function run({ backend, optimizer: kind, mode, ms }) {
    // Not tf.getBackend() first: it would start tfjs's preferred backend, WebGL.
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
    const tensorsBefore = tf.memory().numTensors;

    const init = rng(2);
    const weights = [];
    for (let i = 0; i + 1 < LAYERS.length; i++) {
      const [inputs, outputs] = [LAYERS[i], LAYERS[i + 1]];
      const limit = Math.sqrt(6 / (inputs + outputs));
      const w = Float32Array.from({ length: inputs * outputs }, () => (2 * init() - 1) * limit);
      // In a tidy: a variable keeps its own reference to the initial value, which goes.
      weights.push(...tf.tidy(() => [tf.variable(tf.tensor2d(w, [inputs, outputs])), tf.variable(tf.zeros([outputs]))]));
    }
    const optimizer = kind === 'adam'
      ? tf.train.adam(LEARNING_RATE, 0.9, 0.999, 1e-8)
      : tf.train.sgd(LEARNING_RATE);

    const allX = tf.tensor2d(train.map(([x, y]) => [x, y]));
    const allY = tf.tensor2d(train.map(([, , label]) => [label]));
    const trainLoss = () => tf.tidy(() => lossOf(weights, allX, allY).dataSync()[0]);

    const order = train.map((_, i) => i);
    let cursor = Infinity;
    const xb = new Float32Array(BATCH * 2);
    const yb = new Float32Array(BATCH);
    const step = (returnCost) => {
      if (cursor + BATCH > order.length) {
        shuffle(order);
        cursor = 0;
      }
      for (let i = 0; i < BATCH; i++) {
        const [x, y, label] = train[order[cursor + i]];
        xb[2 * i] = x;
        xb[2 * i + 1] = y;
        yb[i] = label;
      }
      cursor += BATCH;
      return tf.tidy(() => {
        const xs = tf.tensor2d(xb, [BATCH, 2]);
        const ys = tf.tensor2d(yb, [BATCH, 1]);
        return optimizer.minimize(() => lossOf(weights, xs, ys), returnCost, weights);
      });
    };

    const lossBefore = trainLoss();
    for (let i = 0; i < WARM_UP; i++) step(false);
    weights[0].dataSync();

    let steps = 0;
    const start = performance.now();
    if (mode === 'tight') {
      while (performance.now() - start < ms) {
        for (let i = 0; i < 25; i++) step(false);
        steps += 25;
      }
      weights[weights.length - 1].dataSync();
    } else if (mode === 'readback') {
      while (performance.now() - start < ms) {
        const cost = step(true);
        cost.dataSync();
        cost.dispose();
        steps += 1;
      }
    } else {
      await new Promise((resolve) => {
        const frame = () => {
          const frameStart = performance.now();
          let cost;
          do {
            cost?.dispose();
            cost = step(true);
            steps += 1;
          } while (performance.now() - frameStart < FRAME_BUDGET_MS);
          cost.dataSync();
          cost.dispose();
          if (performance.now() - start < ms) requestAnimationFrame(frame);
          else resolve();
        };
        requestAnimationFrame(frame);
      });
    }
    const seconds = (performance.now() - start) / 1000;
    const lossAfter = trainLoss();

    optimizer.dispose();
    tf.dispose([...weights, allX, allY]);
    return {
      stepsPerSecond: steps / seconds,
      steps: WARM_UP + steps,
      lossBefore,
      lossAfter,
      threads: backend === 'wasm' ? tf.wasm.getThreadsCount() : 1,
      leakedTensors: tf.memory().numTensors - tensorsBefore,
    };
  }

  window.tfjsBench = { run };
}
