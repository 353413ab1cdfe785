// Hostile model files through the npm package: every regression input of a model-file reader
// (tests/fixtures/fuzz/{model_config,tokenizer,model_weights}/, replayed natively by swd-train's
// hostile_files test) goes to Generator.load({ model: files }) beside the shipped student's other
// two files. Each must reject with an Error that names the file, the page must keep working, and
// the good model must load and generate afterwards.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { root, start } from './harness.mjs';

// Fixture folder → the ModelFiles field it replaces, and what the error must mention.
const PARTS = [
  ['model_config', 'config', /config/i],
  ['tokenizer', 'tokenizer', /tokenizer/i],
  ['model_weights', 'weights', /weights|safetensors|tensor/i],
];

const cases = PARTS.flatMap(([dir, part, names]) =>
  readdirSync(join(root, 'tests/fixtures/fuzz', dir)).sort().map((file) => ({
    name: `${dir}/${file}`, part, names,
    base64: readFileSync(join(root, 'tests/fixtures/fuzz', dir, file)).toString('base64'),
  })));

let env;
before(async () => {
  env = await start();
});
after(async () => env?.stop());

test('hostile model files are rejected with named errors; the page keeps working', { timeout: 300_000 }, async () => {
  assert.ok(cases.length >= 6, `regression inputs: ${cases.map((c) => c.name)}`);
  const page = await env.browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(env.base);
  const out = await page.evaluate(async (cases) => {
    const { Generator } = await import('./swd-web/index.js');
    const fetched = async (f) => new Uint8Array(await (await fetch(`models/swd4/${f}`)).arrayBuffer());
    const good = { config: await fetched('config.json'), tokenizer: await fetched('tokenizer.json'), weights: await fetched('model.safetensors') };
    const results = [];
    for (const c of cases) {
      const bytes = Uint8Array.from(atob(c.base64), (ch) => ch.charCodeAt(0));
      const started = performance.now();
      try {
        await Generator.load({ model: { ...good, [c.part]: bytes }, backend: 'cpu', warmup: false, cache: false });
        results.push({ name: c.name, loaded: true });
      } catch (e) {
        results.push({ name: c.name, isError: e instanceof Error, errorName: e.name, message: e.message, ms: performance.now() - started });
      }
    }
    const gen = await Generator.load({ model: good, backend: 'cpu', cache: false });
    const image = await gen.generate('3d emoji: red apple', { seed: 7 });
    return { results, after: [image.width, image.height] };
  }, cases.map(({ name, part, base64 }) => ({ name, part, base64 })));
  for (const [i, r] of out.results.entries()) {
    assert.ok(!r.loaded, `${r.name} loaded`);
    assert.ok(r.isError && r.errorName === 'Error', `${r.name}: rejected with ${r.errorName}: ${r.message}`);
    assert.match(r.message, cases[i].names, `${r.name}: "${r.message}" does not name the file`);
  }
  console.log(JSON.stringify(out.results.map(({ name, message, ms }) => ({ name, message: message.slice(0, 100), ms: Math.round(ms) }))));
  assert.deepEqual(out.after, [64, 64]);
  assert.deepEqual(pageErrors, []);
  await page.close();
});
