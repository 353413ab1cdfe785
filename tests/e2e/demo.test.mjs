// The demo in headless Chromium on WebGPU (SwiftShader on machines without a GPU) and on the
// CPU fallback: images equal native `swd-native generate` for the same model, prompt, seed and
// schedule; previews arrive scale by scale; bad input shows an error; timings are recorded.
// No skipping: when WebGPU is unavailable the WebGPU test fails, naming why.
// E2E_TIMINGS=1 also times swd4 / swd6 / full4 on WebGPU (target-e2e/browser-timings.json).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { artifacts, BROWSER_ARGS, compare, generate, launch, nativeImage, openDemo, start } from './harness.mjs';

const PROMPT = '3d emoji: red apple';
const SCALES = { swd4: [32, 40, 48, 64], swd6: [16, 24, 32, 40, 48, 64], full4: [64, 64, 64, 64] };
// Quantised to 8 bits, a float difference of ~1e-4 rarely flips a level; allow a few.
const MAX_LEVELS = 3;
let env;
const timings = {};

before(async () => {
  env = await start();
});

after(async () => {
  writeFileSync(join(artifacts, 'browser-timings.json'), JSON.stringify(timings, null, 2));
  await env?.stop();
});

async function backendRun(backend) {
  const { page, logs, loadMs } = await openDemo(env.browser, env.base, `?backend=${backend}`);
  const info = await page.evaluate(() => ({ backend: window.swdDemo.backend, reason: document.getElementById('backend-reason').textContent }));
  assert.equal(info.backend, backend, `asked for ${backend}: ${info.reason}\n${logs.join('\n')}`);
  assert.ok(await page.isHidden('#webgpu-missing'), 'no WebGPU notice when the backend was chosen');

  const seed = 7;
  const first = await generate(page, { prompt: PROMPT, seed, schedule: 'swd4' });
  assert.equal(first.error, null, first.error);
  const [result] = first.results;
  assert.deepEqual([result.width, result.height], [64, 64]);
  // Previews: one per step, in order, each the size of its scale.
  assert.deepEqual(first.previews[0].map((p) => p.step), [0, 1, 2, 3]);
  assert.deepEqual(first.previews[0].map((p) => p.scale), SCALES.swd4);
  assert.ok(first.previews[0].every((p) => p.width === p.scale && p.height === p.scale));
  const diff = compare(result.data, nativeImage({ prompt: PROMPT, seed, schedule: 'swd4' }));
  assert.ok(diff.max <= MAX_LEVELS && diff.mean < 0.05, `browser (${backend}) vs native: ${JSON.stringify(diff)}`);
  await page.screenshot({ path: join(artifacts, `demo-${backend}.png`), fullPage: true });

  // The three schedules side by side, same seed: per-image latency after warm-up. On
  // SwiftShader this costs minutes, so the WebGPU run does it only when timings are wanted.
  if (backend === 'webgpu' && process.env.E2E_TIMINGS !== '1') {
    timings[backend] = { timeToFirstImageMs: loadMs + result.totalMs, pageLoadAndWarmupMs: loadMs, firstImageMs: result.totalMs, parity: diff };
    return page;
  }
  const compared = await generate(page, { prompt: PROMPT, seed, button: 'compare' });
  assert.equal(compared.error, null, compared.error);
  assert.deepEqual(compared.results.map((r) => r.schedule), ['swd4', 'swd6', 'full4']);
  compared.previews.forEach((steps, i) => assert.deepEqual(steps.map((p) => p.scale), SCALES[compared.results[i].schedule]));
  const swd6 = compare(compared.results[1].data, nativeImage({ prompt: PROMPT, seed, schedule: 'swd6' }));
  assert.ok(swd6.max <= MAX_LEVELS, `swd6 browser vs native: ${JSON.stringify(swd6)}`);
  const ms = Object.fromEntries(compared.results.map((r) => [r.schedule, r.totalMs]));
  const stepMs = Object.fromEntries(compared.results.map((r) => [r.schedule, r.timings.map((t) => Math.round(t.ms))]));
  timings[backend] = { timeToFirstImageMs: loadMs + result.totalMs, pageLoadAndWarmupMs: loadMs, firstImageMs: result.totalMs, ms, stepMs, full4OverSwd4: ms.full4 / ms.swd4, parity: diff };
  console.log(`${backend}: ${JSON.stringify(timings[backend])}`);
  await page.screenshot({ path: join(artifacts, `demo-${backend}-compare.png`), fullPage: true });
  return page;
}

test('WebGPU: the demo generates the native image, scale by scale', { timeout: 900_000 }, async () => {
  const page = await backendRun('webgpu');
  await page.close();
});

test('CPU fallback: the same image on burn\'s CPU backend in wasm', { timeout: 900_000 }, async () => {
  const page = await backendRun('cpu');

  // Bad input in the page: a clear message, and the generator keeps working.
  const bad = await generate(page, { prompt: PROMPT, seed: '1.5', schedule: 'swd4' });
  assert.match(bad.error ?? '', /seed must be an integer/);
  assert.equal(await page.isVisible('#error'), true);
  await page.screenshot({ path: join(artifacts, 'demo-error.png'), fullPage: true });
  const errors = await page.evaluate(async () => {
    const g = window.swdDemo.generator;
    const message = (p) => p.then(() => 'resolved', (e) => e.message);
    return {
      schedule: await message(g.generate('x', { schedule: 'swd5' })),
      type: await message(g.generate(42)),
      long: await message(g.generate('a'.repeat(1001))),
      option: await message(g.generate('x', { sed: 1 })),
      seedType: await message(g.generate('x', { seed: '3' })),
    };
  });
  assert.match(errors.schedule, /unknown schedule/);
  assert.match(errors.type, /prompt must be a string, got number/);
  assert.match(errors.long, /too long \(1001 characters/);
  assert.match(errors.option, /unknown generate option 'sed'/);
  assert.match(errors.seedType, /seed must be a number, got string/);
  const again = await generate(page, { prompt: PROMPT, seed: 1, schedule: 'swd4' });
  assert.equal(again.error, null);
  await page.close();
});

test('no WebGPU: auto mode falls back to the CPU and says so', { timeout: 600_000 }, async () => {
  // Chromium without --enable-unsafe-webgpu offers no adapter on Linux: a browser without WebGPU.
  const plain = await launch(BROWSER_ARGS.filter((a) => a !== '--enable-unsafe-webgpu'));
  try {
    const { page } = await openDemo(plain, env.base);
    const state = await page.evaluate(() => ({ backend: window.swdDemo.backend, reason: document.getElementById('backend-reason').textContent, banner: !document.getElementById('webgpu-missing').hidden }));
    assert.equal(state.backend, 'cpu');
    assert.match(state.reason, /WebGPU unavailable/);
    assert.ok(state.banner, 'the WebGPU-missing message is shown');
    const out = await generate(page, { prompt: PROMPT, seed: 2, schedule: 'swd4' });
    assert.equal(out.error, null, out.error);
  } finally {
    await plain.close();
  }
});

test('auto mode: the CPU on a software WebGPU adapter (SwiftShader), WebGPU on hardware', { timeout: 300_000 }, async () => {
  const { page } = await openDemo(env.browser, env.base);
  const state = await page.evaluate(async () => {
    const adapter = await navigator.gpu.requestAdapter();
    return { backend: window.swdDemo.backend, reason: document.getElementById('backend-reason').textContent, fallback: adapter?.isFallbackAdapter ?? adapter?.info?.isFallbackAdapter };
  });
  if (state.fallback) {
    assert.equal(state.backend, 'cpu', state.reason);
    assert.match(state.reason, /software fallback/);
  } else {
    assert.equal(state.backend, 'webgpu', state.reason);
  }
  await page.close();
});
