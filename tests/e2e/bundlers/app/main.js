// A page as a web developer writes it: swd-web imported by name, the model folder served next
// to the page. ?api=main|worker picks Generator or WorkerGenerator; prompt, seed and schedule
// come from the query too. The outcome lands on window.result for the test.
import { Generator } from 'swd-web';
import { WorkerGenerator } from 'swd-web/worker-client';

const params = new URLSearchParams(location.search);

async function run() {
  const api = params.get('api') === 'worker' ? WorkerGenerator : Generator;
  const started = performance.now();
  const generator = await api.load({ model: 'models/swd4/' });
  const loadMs = performance.now() - started;
  const image = await generator.generate(params.get('prompt'), { seed: Number(params.get('seed')), schedule: params.get('schedule') });
  const canvas = document.getElementById('image');
  canvas.getContext('2d').putImageData(new ImageData(image.data, image.width, image.height), 0, 0);
  return { backend: generator.backend, width: image.width, height: image.height, data: Array.from(image.data), loadMs, totalMs: image.totalMs };
}

run().then(
  (result) => (window.result = result),
  (e) => (window.result = { error: e.message }),
);
