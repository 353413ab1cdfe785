// The demo: loads the shipped student in a Web Worker and draws each step's image as it
// arrives, so the low-resolution-first schedule is visible. Query parameters: ?model=URL of a
// model folder (default models/swd4/), ?backend=auto|webgpu|cpu.
// Tests read window.swdDemo (state, last result, previews, errors).

import { WorkerGenerator } from './swd-web/worker-client.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const modelUrl = new URL(params.get('model') ?? 'models/swd4/', location.href).href;
const demo = (window.swdDemo = { state: 'loading', results: [], previews: [], error: null, backend: null, loadMs: null });

function showError(message) {
  demo.error = message || null;
  $('error').textContent = message;
  $('error').hidden = !message;
}

function setBusy(busy) {
  demo.state = busy ? 'generating' : 'ready';
  for (const id of ['generate', 'compare']) $(id).disabled = busy;
  $('cancel').disabled = !busy;
}

function draw(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
}

function resultCard(title) {
  const card = document.createElement('div');
  card.className = 'result';
  card.innerHTML = `<h3></h3><canvas></canvas><div class="previews"></div><table><thead><tr><th>step</th><th>scale</th><th>ms</th></tr></thead><tbody></tbody></table><p class="total"></p>`;
  card.querySelector('h3').textContent = title;
  $('results').append(card);
  return card;
}

async function generateOne(generator, prompt, seed, schedule) {
  const card = resultCard(`${schedule} · seed ${seed}`);
  const main = card.querySelector('canvas');
  const previews = [];
  const result = await generator.generate(prompt, {
    seed,
    schedule,
    onStep: (step) => {
      previews.push({ step: step.step, scale: step.scale, width: step.width, height: step.height, ms: step.ms });
      draw(main, step);
      const small = document.createElement('canvas');
      draw(small, step);
      small.title = `step ${step.step}: ${step.scale}²`;
      card.querySelector('.previews').append(small);
      const row = document.createElement('tr');
      row.innerHTML = `<td>${step.step + 1}/${step.steps}</td><td>${step.scale}²</td><td>${step.ms.toFixed(0)}</td>`;
      card.querySelector('tbody').append(row);
    },
  });
  draw(main, result);
  card.querySelector('.total').textContent = `total ${result.totalMs.toFixed(0)} ms (text ${result.textMs.toFixed(0)} ms) on ${result.backend}`;
  demo.previews.push(previews);
  demo.results.push({ schedule, seed, prompt, width: result.width, height: result.height, totalMs: result.totalMs, timings: result.timings, data: Array.from(result.data) });
  return result;
}

async function main() {
  $('model-url').textContent = modelUrl;
  const started = performance.now();
  let generator;
  try {
    generator = await WorkerGenerator.load({
      model: modelUrl,
      backend: params.get('backend') ?? 'auto',
      onProgress: (p) => {
        if (p.stage === 'download') {
          $('progress-bar').max = p.total || 1;
          $('progress-bar').value = p.loaded;
          $('progress-text').textContent = `${p.cached ? 'cached' : 'downloading'} ${p.file.split('/').pop()}: ${(p.loaded / 1e6).toFixed(1)} MB`;
        } else {
          $('progress-text').textContent = { device: 'opening the device…', weights: `loading weights on ${p.backend}…`, warmup: 'warming up (shader compilation)…', ready: 'ready' }[p.stage] ?? p.stage;
        }
      },
    });
  } catch (e) {
    demo.state = 'failed';
    $('backend').textContent = 'failed to load';
    showError(e.message);
    return;
  }
  demo.loadMs = performance.now() - started;
  demo.backend = generator.backend;
  $('backend').textContent = `backend: ${generator.backend}`;
  $('backend-reason').textContent = generator.backendReason;
  // The notice is for browsers without (hardware) WebGPU, not for an explicit ?backend=cpu.
  $('webgpu-missing').hidden = generator.backend === 'webgpu' || generator.backendReason === 'requested';
  $('progress').hidden = true;
  // The schedules come from the model (swd-core's presets), not from this page.
  for (const s of generator.schedules) $('schedule').add(new Option(`${s.name} (${s.about})`, s.name, s.default, s.default));
  const names = generator.schedules.map((s) => s.name);
  $('compare').textContent = `Compare ${names.join(' / ')}`;
  setBusy(false);

  const run = async (schedules) => {
    showError('');
    setBusy(true);
    try {
      const seedText = $('seed').value.trim();
      const seed = seedText === '' ? 0 : Number(seedText);
      for (const schedule of schedules) await generateOne(generator, $('prompt').value, seed, schedule);
    } catch (e) {
      showError(e.message);
    } finally {
      setBusy(false);
    }
  };
  $('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    run([$('schedule').value]);
  });
  $('compare').addEventListener('click', () => run(names));
  $('cancel').addEventListener('click', () => generator.cancel());
  demo.generator = generator;
}

main();
