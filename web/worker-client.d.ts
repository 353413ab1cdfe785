import type { Backend, GenerateOptions, GenerateResult, LoadOptions, ModelConfig, ScheduleInfo } from './index.js';

export interface WorkerOptions {
  /**
   * A module Worker running `swd-web/worker` that the page started itself, e.g. from a file
   * `my-worker.js` holding `import 'swd-web/worker';`:
   * `new Worker(new URL('./my-worker.js', import.meta.url), { type: 'module' })`.
   * Default: the package starts its own.
   */
  worker?: Worker;
}

/** The Generator API in a Web Worker: the page stays responsive while images are generated. */
export class WorkerGenerator {
  /** Same options as `Generator.load`; relative model and wasm URLs resolve against the page. */
  static load(options: LoadOptions, workerOptions?: WorkerOptions): Promise<WorkerGenerator>;
  readonly backend: Backend;
  readonly backendReason: string;
  readonly config: ModelConfig;
  readonly schedules: ScheduleInfo[];
  generate(prompt: string, options?: GenerateOptions): Promise<GenerateResult>;
  cancel(): void;
  /** Stops the worker; pending calls reject. */
  terminate(): void;
}
