// Times the demo site in headless Chromium (Debian's, through playwright-core): the time from
// opening the page to the first image, then per-image latency of each schedule through the
// page's WorkerGenerator (median of --repeats after one warm run), per step.
//
//   node tools/bench-browser.mjs [--dist www/dist] [--backend cpu] [--repeats 5]
//                                [--schedules swd4,full4] [--json out.json]
//
// One run, one machine: compare builds by running this on each in the same session.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

import { serve } from '../www/serve.mjs';

const { values: opts } = parseArgs({
  options: {
    dist: { type: 'string', default: 'www/dist' },
    backend: { type: 'string', default: 'cpu' },
    repeats: { type: 'string', default: '5' },
    schedules: { type: 'string', default: 'swd4,full4' },
    prompt: { type: 'string', default: '3d emoji: red apple' },
    json: { type: 'string' },
  },
});
const repeats = Number(opts.repeats);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, got ${opts.repeats}`);

const wasm = join(opts.dist, 'swd-web/pkg', ['swd-web_bg.wasm', 'swd_web_bg.wasm'].find((f) => statSync(join(opts.dist, 'swd-web/pkg', f), { throwIfNoEntry: false })) ?? 'swd-web_bg.wasm');
const bytes = readFileSync(wasm);
const module = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };

const server = await serve(opts.dist, 0);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const page = await browser.newPage();
  const base = `http://127.0.0.1:${server.address().port}/`;
  const t0 = Date.now();
  await page.goto(`${base}?backend=${opts.backend}`);
  await page.waitForFunction(() => window.swdDemo && window.swdDemo.state !== 'loading', null, { timeout: 600_000 });
  const state = await page.evaluate(() => ({ state: window.swdDemo.state, error: window.swdDemo.error, backend: window.swdDemo.backend }));
  if (state.state !== 'ready') throw new Error(`the demo did not load: ${state.error}`);
  const loadMs = Date.now() - t0;
  const run = (schedule, seed) =>
    page.evaluate(async ([prompt, schedule, seed]) => {
      const r = await window.swdDemo.generator.generate(prompt, { schedule, seed });
      return { totalMs: r.totalMs, textMs: r.textMs, steps: r.timings.map((t) => t.ms) };
    }, [opts.prompt, schedule, seed]);
  const first = await run('swd4', 0);
  const result = { backend: state.backend, module, loadMs, firstImageMs: Date.now() - t0, firstGenerateMs: first.totalMs, schedules: {} };
  for (const schedule of opts.schedules.split(',')) {
    await run(schedule, 1);
    const runs = [];
    for (let i = 0; i < repeats; i++) runs.push(await run(schedule, 2 + i));
    const stepMs = runs[0].steps.map((_, k) => Math.round(median(runs.map((r) => r.steps[k]))));
    result.schedules[schedule] = { ms: Math.round(median(runs.map((r) => r.totalMs))), textMs: Math.round(median(runs.map((r) => r.textMs)) * 10) / 10, stepMs };
  }
  const { swd4, full4 } = result.schedules;
  if (swd4 && full4) result.full4OverSwd4 = Math.round((full4.ms / swd4.ms) * 100) / 100;
  console.log(JSON.stringify(result, null, 2));
  if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  server.close();
}
