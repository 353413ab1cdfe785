// The front door, as a newcomer meets it: a fresh `git clone` of the committed HEAD, the
// README's main command exactly as written (setup, then Trunk builds and serves the demo), one
// image generated in headless Chromium and compared with `swd-native generate`. The installed
// tools (SWD_TOOLS) and the cargo target folder are shared, so burn is not rebuilt; everything
// the clone lacks (node_modules/, web/pkg/, www/dist/) stays missing, as on a new machine.
// Also: CI (.ci/run) runs the README's test command. Timings land in target-e2e/frontdoor.json.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { artifacts, compare, generate, launch, nativeImage, openDemo, root } from './harness.mjs';

/** The README's two commands: the non-comment lines of its first bash block. */
function readmeCommands() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = readme.match(/```bash\n([\s\S]*?)```/);
  assert.ok(block, 'README.md has no ```bash block');
  const lines = block[1].split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  assert.equal(lines.length, 2, `the README's first block should hold the main and the test command: ${lines.join(' | ')}`);
  return { main: lines[0], tests: lines[1] };
}

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

async function serving(url) {
  try {
    const res = await fetch(url);
    return res.ok && (await res.text()).includes('app.js');
  } catch {
    return false;
  }
}

test('CI runs the README test command', () => {
  const ci = readFileSync(join(root, '.ci/run'), 'utf8').split('\n').map((l) => l.trim());
  assert.ok(ci.includes(readmeCommands().tests), `.ci/run does not run \`${readmeCommands().tests}\``);
});

test("fresh clone: the README's main command serves the demo, which generates", { timeout: 1_800_000 }, async () => {
  const { main } = readmeCommands();
  const clone = mkdtempSync(join(tmpdir(), 'swd-frontdoor-'));
  execFileSync('git', ['clone', '--quiet', root, clone]);
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    CARGO_TARGET_DIR: process.env.CARGO_TARGET_DIR ?? join(root, 'target'),
  };
  const started = Date.now();
  const shell = spawn('bash', ['-c', main], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  shell.stdout.on('data', (d) => (output += d));
  shell.stderr.on('data', (d) => (output += d));
  let exited = null;
  shell.on('exit', (code) => (exited = code));
  const url = `http://127.0.0.1:${port}/`;
  let browser;
  try {
    while (!(await serving(url))) {
      assert.equal(exited, null, `\`${main}\` exited with ${exited} before serving:\n${output.slice(-4000)}`);
      assert.ok(Date.now() - started < 1_500_000, `nothing served at ${url} after 25 min:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
    const serveS = (Date.now() - started) / 1000;
    browser = await launch();
    const { page, loadMs } = await openDemo(browser, url, '?backend=cpu');
    const query = { prompt: '3d emoji: rocket', seed: 5, schedule: 'swd4' };
    const out = await generate(page, query);
    assert.equal(out.error, null, out.error);
    const [image] = out.results;
    assert.deepEqual([image.width, image.height], [64, 64]);
    const diff = compare(image.data, nativeImage(query));
    assert.ok(diff.max <= 3 && diff.mean < 0.05, `front-door demo vs native: ${JSON.stringify(diff)}`);
    await page.screenshot({ path: join(artifacts, 'frontdoor.png'), fullPage: true });
    const report = { command: main, serve_s: serveS, page_ready_ms: loadMs, image_ms: image.totalMs, diff_vs_native: diff };
    writeFileSync(join(artifacts, 'frontdoor.json'), JSON.stringify(report, null, 2));
    console.log(`front door: served after ${serveS.toFixed(0)} s, page ready in ${loadMs} ms, swd4 image in ${image.totalMs.toFixed(0)} ms`);
  } finally {
    await browser?.close();
    if (exited === null) process.kill(-shell.pid, 'SIGTERM');
    rmSync(clone, { recursive: true, force: true });
  }
});
