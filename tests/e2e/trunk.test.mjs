// `trunk serve`, the development server of the demo: it builds the site (Trunk.toml,
// www/index.html) into its own folder, serves it, and the page generates an image that equals
// the native one. A screenshot after the generation lands in target-e2e/trunk-serve.png.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

import { artifacts, compare, generate, launch, nativeImage, openDemo, root } from './harness.mjs';

const tools = process.env.SWD_TOOLS ?? '/var/tmp/swd-tools';

test('trunk serve: the demo builds, serves and generates', { timeout: 900_000 }, async () => {
  const port = 8000 + Math.floor(Math.random() * 900);
  const env = { ...process.env, PATH: `${tools}/bin:${join(root, 'node_modules/.bin')}:${process.env.PATH}` };
  const args = ['serve', '--port', String(port), '--dist', join(artifacts, 'trunk-dist'), '--no-autoreload'];
  const trunk = spawn('trunk', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  trunk.stdout.on('data', (d) => (output += d));
  trunk.stderr.on('data', (d) => (output += d));
  const browser = await launch();
  try {
    await new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`trunk serve did not finish its build:\n${output}`)), 600_000);
      const check = () => /success|applying new distribution/i.test(output) && (clearTimeout(timer), ok());
      trunk.stdout.on('data', check);
      trunk.stderr.on('data', check);
      trunk.on('exit', (code) => fail(new Error(`trunk serve exited with ${code}:\n${output}`)));
    });
    const { page } = await openDemo(browser, `http://127.0.0.1:${port}/`, '?backend=cpu');
    const query = { prompt: '3d emoji: rocket', seed: 5, schedule: 'swd4' };
    const out = await generate(page, query);
    assert.equal(out.error, null, out.error);
    const diff = compare(out.results[0].data, nativeImage(query));
    assert.ok(diff.max <= 3 && diff.mean < 0.05, `trunk-served demo vs native: ${JSON.stringify(diff)}`);
    await page.screenshot({ path: join(artifacts, 'trunk-serve.png'), fullPage: true });
  } finally {
    await browser.close();
    process.kill(-trunk.pid);
  }
});
