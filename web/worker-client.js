// The Generator API, run in a Web Worker so generation never blocks the page.

const FUNCTION_OPTIONS = ['onProgress', 'onStep'];

function withoutCallbacks(options) {
  if (options === null || typeof options !== 'object') return options;
  return Object.fromEntries(Object.entries(options).filter(([k]) => !FUNCTION_OPTIONS.includes(k)));
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
      for (const call of this.#pending.values()) call.reject(new Error(`swd-web worker failed: ${e.message ?? 'unknown error'}`));
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

  /** Starts a worker and loads a model in it; same options as Generator.load. */
  static async load(options = {}, workerUrl = new URL('./worker.js', import.meta.url)) {
    if (options === null || typeof options !== 'object') throw new Error('WorkerGenerator.load needs an options object { model, backend?, onProgress? }');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new Error('onProgress must be a function');
    const client = new WorkerGenerator(new Worker(workerUrl, { type: 'module' }));
    const info = await client.#call({ type: 'load', options: withoutCallbacks(options) }, { onProgress: options.onProgress });
    client.backend = info.backend;
    client.backendReason = info.backendReason;
    client.config = info.config;
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
