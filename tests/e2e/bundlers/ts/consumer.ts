// A TypeScript page using every entry point of swd-web; type-checked only (tsc --noEmit).
import { Generator, clearModelCache, initWasm, type GenerateResult, type LoadProgress } from 'swd-web';
import { WorkerGenerator } from 'swd-web/worker-client';
import wasmUrl from 'swd-web/wasm';

export async function draw(canvas: HTMLCanvasElement): Promise<GenerateResult> {
  await initWasm(wasmUrl);
  const onProgress = (p: LoadProgress): void => {
    if (p.stage === 'download') console.log(p.file, p.loaded, p.total);
  };
  const worker = await WorkerGenerator.load({ model: '/models/swd4/', onProgress }, { worker: new Worker(new URL('./my-worker.js', import.meta.url), { type: 'module' }) });
  const image = await worker.generate('3d emoji: red apple', { seed: 7, schedule: 'swd4', onStep: (s) => console.log(s.scale, s.ms) });
  worker.terminate();
  const local = await Generator.load({ model: { config: '{}', tokenizer: '{}', weights: new Uint8Array(0) }, backend: 'cpu', warmup: false });
  const backend: 'webgpu' | 'cpu' = local.backend;
  console.log(backend, local.config.resolution);
  canvas.getContext('2d')?.putImageData(new ImageData(image.data, image.width, image.height), 0, 0);
  await clearModelCache();
  return image;
}
