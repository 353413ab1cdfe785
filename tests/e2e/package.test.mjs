// The npm package: `npm pack` → installed into a scratch project → its exports resolve; and its
// main-thread API in a page: byte progress, the Cache API, cancellation, one run at a time,
// argument errors for load().

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { root, start } from './harness.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

test('npm pack: the tarball installs and its exports resolve', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'swd-web-pack-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch, join(root, 'web')], { encoding: 'utf8' }));
  const files = packed[0].files.map((f) => f.path).sort();
  for (const f of ['index.js', 'index.d.ts', 'fetch.js', 'worker.js', 'worker-client.js', 'worker-client.d.ts', 'pkg/swd-web.js', 'pkg/swd-web_bg.wasm', 'README.md', 'package.json']) {
    assert.ok(files.includes(f), `${f} missing from the tarball: ${files}`);
  }
  const project = join(scratch, 'app');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const tarball = readdirSync(scratch).find((f) => f.endsWith('.tgz'));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(scratch, tarball)], { cwd: project, stdio: 'pipe' });
  const out = execFileSync('node', ['--input-type=module', '-e', `
    import { Generator, initWasm, clearModelCache } from 'swd-web';
    import { WorkerGenerator } from 'swd-web/worker-client';
    const errors = [];
    for (const bad of [undefined, { model: 3 }, { model: 'x/', backend: 'gpu', warmup: false }, { modle: 'x/' }]) {
      try { await Generator.load(bad); } catch (e) { errors.push(e.message); }
    }
    console.log(JSON.stringify({ load: typeof Generator.load, worker: typeof WorkerGenerator.load, init: typeof initWasm, clear: typeof clearModelCache, errors }));
  `], { cwd: project, encoding: 'utf8' });
  const info = JSON.parse(out);
  assert.deepEqual([info.load, info.worker, info.init, info.clear], ['function', 'function', 'function', 'function']);
  assert.match(info.errors[0], /needs an options object/);
  assert.match(info.errors[1], /model must be a URL/);
  assert.match(info.errors[2], /cannot fetch|Failed to parse URL|Invalid URL/);
  assert.match(info.errors[3], /unknown load option 'modle'/);
});

test('main-thread API: progress, cache, cancel, one generation at a time', { timeout: 600_000 }, async () => {
  const page = await env.browser.newPage();
  await page.goto(env.base);
  const out = await page.evaluate(async () => {
    const { Generator, clearModelCache } = await import('./swd-web/index.js');
    await clearModelCache();
    const progress = [];
    const gen = await Generator.load({ model: 'models/swd4/', backend: 'cpu', onProgress: (p) => progress.push(p) });
    const weights = progress.filter((p) => p.stage === 'download' && p.file.endsWith('model.safetensors'));
    const second = [];
    await Generator.load({ model: 'models/swd4/', backend: 'cpu', warmup: false, onProgress: (p) => second.push(p) });
    const message = (p) => p.then(() => 'resolved', (e) => e.message);
    // Cancel after the first step of a 6-step run.
    const cancelled = await message(gen.generate('3d emoji: rocket', { schedule: 'swd6', onStep: (s) => s.step === 0 && gen.cancel() }));
    // Two at once: the second is refused, the first completes.
    const first = gen.generate('3d emoji: rocket', { seed: 1 });
    const busy = await message(gen.generate('3d emoji: rocket', { seed: 2 }));
    const done = await first;
    const badBackend = await message(Generator.load({ model: 'models/swd4/', backend: 'tpu' }));
    const missing = await message(Generator.load({ model: 'models/nope/' }));
    return {
      stages: [...new Set(progress.map((p) => p.stage))],
      lastWeights: weights.at(-1),
      weightEvents: weights.length,
      secondCached: second.filter((p) => p.stage === 'download').every((p) => p.cached),
      cancelled, busy, size: [done.width, done.height, done.data.length], steps: done.timings.length,
      badBackend, missing,
      schedules: gen.schedules,
      euler: await gen.generate('3d emoji: rocket', { schedule: 'euler:2' }).then((r) => [r.schedule, r.width]),
    };
  });
  assert.deepEqual(out.stages, ['download', 'device', 'weights', 'warmup', 'ready']);
  assert.ok(out.weightEvents >= 2, 'weights arrive in several progress events');
  assert.equal(out.lastWeights.loaded, out.lastWeights.total);
  assert.ok(out.lastWeights.total > 1e6);
  assert.ok(out.secondCached, 'the second load reads the Cache API');
  assert.equal(out.cancelled, 'generation cancelled');
  assert.match(out.busy, /already running/);
  assert.deepEqual(out.size, [64, 64, 64 * 64 * 4]);
  assert.equal(out.steps, 4);
  assert.match(out.badBackend, /backend must be "auto", "webgpu" or "cpu", got "tpu"/);
  assert.match(out.missing, /cannot fetch .*models\/nope\/config.json: HTTP 404/);
  // The schedules come from swd-core's preset table, the model's own marked; euler:N runs at
  // the model's resolution.
  assert.deepEqual(out.schedules.map((s) => [s.name, s.scales.length, s.default]), [['swd4', 4, true], ['swd6', 6, false], ['full4', 4, false]]);
  assert.deepEqual(out.schedules[0].scales, [32, 40, 48, 64]);
  assert.deepEqual(out.euler, ['euler:2@64', 64]);
  await page.close();
});
