import type { Backend, GenerateOptions, GenerateResult, LoadOptions, ModelConfig } from './index.js';

/** The Generator API in a Web Worker: the page stays responsive while images are generated. */
export class WorkerGenerator {
  static load(options: LoadOptions, workerUrl?: string | URL): Promise<WorkerGenerator>;
  readonly backend: Backend;
  readonly backendReason: string;
  readonly config: ModelConfig;
  generate(prompt: string, options?: GenerateOptions): Promise<GenerateResult>;
  cancel(): void;
  terminate(): void;
}
