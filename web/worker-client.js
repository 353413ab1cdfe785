// The Generator API, run in a Web Worker so generation never blocks the page.

import { viteDepsUrl } from './package-url.js';

const FUNCTION_OPTIONS = ['onProgress', 'onStep'];

function withoutCallbacks(options) {
  if (options === null || typeof options !== 'object') return options;
  return Object.fromEntries(Object.entries(options).filter(([k]) => !FUNCTION_OPTIONS.includes(k)));
}

/** URLs resolve against the page: inside the worker they would resolve against the worker's own URL. */
function absolute(url) {
  return typeof url === 'string' || url instanceof URL ? new URL(String(url), globalThis.location?.href).href : url;
}

/**
 * The package's own worker. `new Worker(new URL('./worker.js', import.meta.url), …)` is written
 * literally: bundlers (Vite, webpack, Parcel) recognise exactly this form and bundle the worker
 * with its imports and the wasm module.
 */
function packageWorker() {
  const moved = viteDepsUrl('worker.js');
  if (moved) return new Worker(moved, { type: 'module' });
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
}

export class WorkerGenerator {
  #worker;
  #next = 0;
  #pending = new Map();

  constructor(worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data.id);
      if (!call) return;
      if (data.kind === 'progress') call.onProgress?.(data.progress);
      else if (data.kind === 'step') call.onStep?.(data.step);
      else {
        this.#pending.delete(data.id);
        if (data.kind === 'done') call.resolve(data.result);
        else call.reject(new Error(data.message));
      }
    };
    worker.onerror = (e) => {
      // A worker whose script cannot load reports an error event without a message.
      const why = e?.message || 'its script did not load (was swd-web/worker emitted by the bundler, with its imports?)';
      for (const call of this.#pending.values()) call.reject(new Error(`swd-web worker failed: ${why}`));
      this.#pending.clear();
    };
  }

  #call(message, callbacks = {}) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, ...callbacks });
      this.#worker.postMessage({ id, ...message });
    });
  }

  /**
   * Starts a worker and loads a model in it; same options as Generator.load. `worker`: a module
   * Worker running `swd-web/worker` that the page started itself (default: the package's own).
   */
  static async load(options, { worker } = {}) {
    if (options === null || typeof options !== 'object') throw new Error('WorkerGenerator.load needs an options object { model, backend?, onProgress? }');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new Error('onProgress must be a function');
    if (worker !== undefined && typeof worker?.postMessage !== 'function') throw new Error('worker must be a Worker running swd-web/worker');
    const client = new WorkerGenerator(worker ?? packageWorker());
    const sent = { ...withoutCallbacks(options), model: absolute(options.model), ...(options.wasmUrl ? { wasmUrl: absolute(options.wasmUrl) } : {}) };
    try {
      const info = await client.#call({ type: 'load', options: sent }, { onProgress: options.onProgress });
      client.backend = info.backend;
      client.backendReason = info.backendReason;
      client.config = info.config;
      client.schedules = info.schedules;
    } catch (e) {
      client.terminate();
      throw e;
    }
    return client;
  }

  generate(prompt, options = {}) {
    const onStep = options?.onStep;
    if (onStep !== undefined && typeof onStep !== 'function') return Promise.reject(new Error('generate options.onStep must be a function'));
    return this.#call({ type: 'generate', prompt, options: withoutCallbacks(options), wantSteps: !!onStep }, { onStep });
  }

  cancel() {
    this.#worker.postMessage({ id: -1, type: 'cancel' });
  }

  /** Stops the worker; pending calls reject. */
  terminate() {
    this.#worker.terminate();
    for (const call of this.#pending.values()) call.reject(new Error('the worker was terminated'));
    this.#pending.clear();
  }
}
