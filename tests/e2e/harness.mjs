// Shared setup of the browser tests: the demo server, Debian's chromium through playwright-core
// (never a downloaded browser), native reference images, artefacts.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { serve } from '../../www/serve.mjs';
import { readPng } from './png.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const artifacts = resolve(process.env.E2E_ARTIFACTS ?? join(root, 'target-e2e'));
mkdirSync(artifacts, { recursive: true });

const dist = join(root, 'www/dist');
if (!existsSync(join(dist, 'swd-web/pkg/swd-web_bg.wasm'))) {
  throw new Error('www/dist has no built wasm module: run `bash scripts/build-web.sh` first (scripts/test.sh does)');
}

export const BROWSER_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch(args = BROWSER_ARGS) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args });
}

export async function start() {
  const server = await serve(dist, 0);
  const browser = await launch();
  const base = `http://127.0.0.1:${server.address().port}/`;
  return { server, browser, base, stop: async () => { await browser.close(); server.close(); } };
}

/** A page of the demo; console errors and page errors are collected. */
export async function openDemo(browser, base, query = '') {
  const page = await browser.newPage();
  const logs = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const t0 = Date.now();
  await page.goto(`${base}${query}`);
  await page.waitForFunction(() => window.swdDemo && window.swdDemo.state !== 'loading', null, { timeout: 300_000 });
  const state = await page.evaluate(() => ({ state: window.swdDemo.state, error: window.swdDemo.error, backend: window.swdDemo.backend }));
  if (state.state !== 'ready') throw new Error(`the demo did not load: ${state.error}\n${logs.join('\n')}`);
  return { page, logs, loadMs: Date.now() - t0 };
}

/** Types the inputs and generates with one button; resolves to the new results. */
export async function generate(page, { prompt, seed, schedule, button = 'generate' }) {
  const before = await page.evaluate(() => window.swdDemo.results.length);
  await page.fill('#prompt', prompt);
  await page.fill('#seed', String(seed));
  if (schedule) await page.selectOption('#schedule', schedule);
  await page.click(`#${button}`);
  await page.waitForFunction((n) => window.swdDemo.state === 'ready' && (window.swdDemo.results.length > n || window.swdDemo.error), before, { timeout: 600_000 });
  return page.evaluate((n) => ({ results: window.swdDemo.results.slice(n), previews: window.swdDemo.previews.slice(n), error: window.swdDemo.error }), before);
}

/** `swd-native generate` for the demo model: RGB bytes of the image. */
export function nativeImage({ prompt, seed, schedule }) {
  const bin = join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'release/swd-native');
  const out = join(artifacts, `native-${schedule}-${seed}.png`);
  execFileSync(bin, ['generate', '--model', join(root, 'models/swd4'), '--prompt', prompt, '--seed', String(seed), '--schedule', schedule, '--out', out], { stdio: 'pipe' });
  return readPng(readFileSync(out));
}

/** Largest and mean absolute difference of the RGB channels of a browser RGBA image and a native RGB one. */
export function compare(browserRgba, native) {
  let max = 0;
  let sum = 0;
  const n = native.width * native.height;
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const d = Math.abs(browserRgba[p * 4 + c] - native.data[p * native.channels + c]);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / (3 * n) };
}
