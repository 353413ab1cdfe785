// swd-web: the SwD generator in the browser. The wasm module (pkg/) is the swd-core crate
// compiled with burn's WebGPU and CPU backends; this file adds model fetching and checks.

import init, { Generator as WasmGenerator, lastPanic } from './pkg/swd-web.js';
import { fetchModel, clearModelCache } from './fetch.js';
import { viteDepsUrl } from './package-url.js';

export { clearModelCache };

let wasmReady = null;

/** Instantiates the wasm module once (optionally from an explicit URL). */
export function initWasm(wasmUrl = viteDepsUrl('pkg/swd-web_bg.wasm')) {
  wasmReady ??= init(wasmUrl ? { module_or_path: wasmUrl } : undefined).catch((e) => {
    wasmReady = null;
    const message = e?.message ?? String(e);
    // A server's HTML page where the module should be: the bundler did not emit or move it.
    const hint = /magic word/.test(message)
      ? ' (the URL served a web page, not the module: copy node_modules/swd-web/pkg/swd-web_bg.wasm next to your bundle, or pass wasmUrl; see the swd-web README for your bundler)'
      : '';
    throw new Error(`cannot load the swd-web wasm module: ${message}${hint}`);
  });
  return wasmReady;
}

const LOAD_KEYS = ['model', 'backend', 'onProgress', 'warmup', 'cache', 'wasmUrl'];

export class Generator {
  #inner;

  constructor(inner) {
    this.#inner = inner;
  }

  /**
   * Loads a model: `model` is the URL of a model folder (config.json, tokenizer.json,
   * model.safetensors) or `{ config, tokenizer, weights }` as strings/bytes.
   */
  static async load(options) {
    if (options === null || typeof options !== 'object') throw new Error('Generator.load needs an options object { model, backend?, onProgress? }');
    for (const key of Object.keys(options)) {
      if (!LOAD_KEYS.includes(key)) throw new Error(`unknown load option '${key}' (expected one of: ${LOAD_KEYS.join(', ')})`);
    }
    const { model, backend = 'auto', onProgress, warmup = true, cache = true, wasmUrl } = options;
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new Error('onProgress must be a function');
    let files;
    if (typeof model === 'string' || model instanceof URL) {
      files = await fetchModel(String(model), { onProgress, cache });
    } else if (model && typeof model === 'object') {
      files = model;
    } else {
      throw new Error('model must be a URL of a model folder or { config, tokenizer, weights }');
    }
    await initWasm(wasmUrl);
    const inner = await WasmGenerator.load({ ...files, backend, warmup, ...(onProgress ? { onProgress } : {}) });
    return new Generator(inner);
  }

  /** "webgpu" or "cpu". */
  get backend() {
    return this.#inner.backend;
  }

  /** Why that backend (the adapter, or why WebGPU was not used). */
  get backendReason() {
    return this.#inner.backendReason;
  }

  /** The model's config (resolution, default schedule, …). */
  get config() {
    return this.#inner.config;
  }

  /** The schedules to offer for this model: `[{ name, scales, about, default }]`. */
  get schedules() {
    return this.#inner.schedules;
  }

  get busy() {
    return this.#inner.busy;
  }

  /** Generates one image; see index.d.ts. */
  generate(prompt, options = {}) {
    // A Rust panic traps inside wasm and would leave this promise pending: the uncaught error
    // it raises rejects it instead, with the panic's message.
    return new Promise((resolve, reject) => {
      const onCrash = () => {
        const message = lastPanic();
        if (message) reject(new Error(`the generator crashed (${message}); reload the page to start a new one`));
      };
      globalThis.addEventListener?.('error', onCrash);
      this.#inner
        .generate(prompt, options)
        .then(resolve, reject)
        .finally(() => globalThis.removeEventListener?.('error', onCrash));
    });
  }

  /** Stops the running generation after its current step (it rejects with "generation cancelled"). */
  cancel() {
    this.#inner.cancel();
  }
}
