// The npm package where web developers use it: the packed tarball installed into a project with
// pinned bundlers (tests/e2e/bundlers/package.json), the small app in tests/e2e/bundlers/app/
// built with each of them exactly as the package README says, then opened in headless Chromium
// through Generator (main thread) and WorkerGenerator (worker). Each image must equal
// `swd-native generate` for the same prompt, seed and schedule. Also: the types resolve under
// moduleResolution bundler and node16, and `npm publish --dry-run` is clean.
// Sizes and timings land in target-e2e/bundlers.json.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { serve } from '../../www/serve.mjs';
import { artifacts, compare, launch, nativeImage, root } from './harness.mjs';

const project = join(root, 'tests/e2e/bundlers');
const work = join(project, '.work');
const bin = (name) => join(project, 'node_modules/.bin', name);
const QUERY = { prompt: '3d emoji: red apple', seed: 3, schedule: 'swd4' };
const MAX_LEVELS = 3;
const report = {};
let browser;
let native;

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

before(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', work, join(root, 'web')], root));
  npm(['install', '--no-save', '--no-audit', '--no-fund', '--offline', join(work, packed.filename)], project);
  native = nativeImage(QUERY);
});

after(async () => {
  writeFileSync(join(artifacts, 'bundlers.json'), JSON.stringify(report, null, 2));
  await browser?.close();
});

/** A copy of the app with the shipped model in `public/models/swd4/` (Vite serves and copies public/). */
function appCopy(name) {
  const dir = join(work, name);
  cpSync(join(project, 'app'), dir, { recursive: true });
  const model = join(dir, 'public/models/swd4');
  mkdirSync(model, { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'model.safetensors']) cpSync(join(root, 'models/swd4', f), join(model, f));
  return dir;
}

/** Bundle output sizes: JavaScript and wasm bytes (the model files are not counted). */
function sizes(dir) {
  const out = { js: 0, wasm: 0 };
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) out.js += statSync(p).size;
      else if (e.name.endsWith('.wasm')) out.wasm += statSync(p).size;
    }
  };
  walk(dir);
  return out;
}

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Opens the app with each API; checks the image against native and records timings. */
async function checkApp(name, base) {
  browser ??= await launch();
  report[name] ??= {};
  for (const api of ['worker', 'main']) {
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    await page.goto(`${base}?${new URLSearchParams({ api, ...QUERY })}`);
    await page.waitForFunction(() => window.result, null, { timeout: 300_000 });
    const result = await page.evaluate(() => window.result);
    assert.equal(result.error, undefined, `${name}, ${api}: ${result.error}\n${logs.join('\n')}`);
    assert.deepEqual([result.width, result.height], [64, 64]);
    const diff = compare(result.data, native);
    assert.ok(diff.max <= MAX_LEVELS && diff.mean < 0.05, `${name}, ${api} vs native: ${JSON.stringify(diff)}`);
    report[name][api] = { backend: result.backend, loadMs: Math.round(result.loadMs), generateMs: Math.round(result.totalMs), parity: diff };
    await page.close();
  }
}

/** Builds with `command`, serves the output statically and checks it. */
async function checkBuild(name, command, args, cwd, out) {
  execFileSync(command, args, { cwd, stdio: 'pipe' });
  report[name] = { bundle: sizes(out) };
  const server = await serve(out, 0);
  try {
    await checkApp(name, `http://127.0.0.1:${server.address().port}/`);
  } finally {
    server.close();
  }
}

/** Runs a Vite dev server on the app and checks it. */
async function checkViteDev(name, viteBin) {
  const dir = appCopy(name);
  rmSync(join(project, 'node_modules/.vite'), { recursive: true, force: true });
  const port = await freePort();
  const server = spawn(process.execPath, [viteBin, dir, '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout.on('data', (d) => (output += d));
  server.stderr.on('data', (d) => (output += d));
  try {
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`vite did not start:\n${output}`)), 60_000);
      server.stdout.on('data', () => output.includes(`${port}`) && (clearTimeout(timer), ok()));
      server.on('exit', (code) => fail(new Error(`vite exited with ${code}:\n${output}`)));
    });
    await checkApp(name, `http://127.0.0.1:${port}/`);
  } finally {
    server.kill();
  }
}

for (const [vite, viteBin] of [['vite 8', 'vite/bin/vite.js'], ['vite 6', 'vite6/bin/vite.js']]) {
  test(`${vite} build: main thread and worker, no config`, { timeout: 600_000 }, async () => {
    const name = `${vite} build`.replace(' ', '');
    const dir = appCopy(name);
    const out = join(work, `${name}-dist`);
    await checkBuild(`${vite} build`, process.execPath, [join(project, 'node_modules', viteBin), 'build', dir, '--outDir', out, '--emptyOutDir', '--logLevel', 'warn'], project, out);
  });

  test(`${vite} dev server: main thread and worker, no config`, { timeout: 600_000 }, async () => {
    await checkViteDev(`${vite} dev`, join(project, 'node_modules', viteBin));
  });
}

test('webpack 5 build: main thread and worker, no config', { timeout: 600_000 }, async () => {
  const dir = appCopy('webpack');
  const out = join(dir, 'dist');
  // webpack needs no config for swd-web; the page and the model are copied by hand here, as
  // any webpack app without an HTML plugin does.
  cpSync(join(dir, 'public'), out, { recursive: true });
  cpSync(join(dir, 'index.html'), join(out, 'index.html'));
  await checkBuild('webpack 5 build', bin('webpack'), ['--mode', 'production', '--entry', './main.js', '--output-path', out], dir, out);
});

test('esbuild build: the worker as a second entry point, the wasm copied (as the README says)', { timeout: 600_000 }, async () => {
  const dir = appCopy('esbuild');
  const out = join(dir, 'dist');
  cpSync(join(dir, 'public'), out, { recursive: true });
  cpSync(join(dir, 'index.html'), join(out, 'index.html'));
  cpSync(join(project, 'node_modules/swd-web/pkg/swd-web_bg.wasm'), join(out, 'swd-web_bg.wasm'));
  await checkBuild('esbuild build', bin('esbuild'), ['main.js', 'swd-web/worker', '--bundle', '--format=esm', `--outdir=${out}`, '--entry-names=[name]', '--log-level=warning'], dir, out);
});

test('types resolve under moduleResolution bundler and node16', () => {
  for (const config of ['tsconfig.bundler.json', 'tsconfig.node16.json']) {
    try {
      execFileSync(bin('tsc'), ['--noEmit', '-p', join(project, 'ts', config)], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      assert.fail(`tsc -p ${config}:\n${e.stdout}${e.stderr}`);
    }
  }
});

test('npm publish --dry-run: no warnings, only the package files', () => {
  const run = spawnSync('npm', ['publish', '--dry-run', '--json'], { cwd: join(root, 'web'), encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  // Not being logged in to the registry is this machine's state, not the package's.
  const warnings = run.stderr.split('\n').filter((l) => l.startsWith('npm warn') && !/requires you to be logged in/.test(l));
  assert.deepEqual(warnings, []);
  const info = JSON.parse(run.stdout)['swd-web'];
  const files = info.files.map((f) => f.path).sort();
  assert.deepEqual(files, ['README.md', 'fetch.js', 'index.d.ts', 'index.js', 'package-url.js', 'package.json', 'pkg/swd-web.js', 'pkg/swd-web_bg.wasm', 'wasm.d.ts', 'worker-client.d.ts', 'worker-client.js', 'worker.js']);
  report.package = { tarballBytes: info.size, unpackedBytes: info.unpackedSize };
});
