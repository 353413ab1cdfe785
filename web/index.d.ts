/** A preset's name from `Generator.schedules`, or any `swd:SCALES@SIGMAS` / `euler:N[@SIZE]` string. */
export type Schedule = string;

/** One entry of `Generator.schedules`. */
export interface ScheduleInfo {
  name: string;
  /** The side of each step's image. */
  scales: number[];
  about: string;
  /** The model's own schedule (what `generate` uses when none is given). */
  default: boolean;
}

export type Backend = 'webgpu' | 'cpu';

/** The three files of a model folder, as text or bytes. */
export interface ModelFiles {
  config: string | Uint8Array | ArrayBuffer;
  tokenizer: string | Uint8Array | ArrayBuffer;
  /** safetensors, f16 or f32 */
  weights: Uint8Array | ArrayBuffer;
}

export type LoadProgress =
  | { stage: 'download'; file: string; loaded: number; total: number; cached: boolean }
  | { stage: 'device' }
  | { stage: 'weights'; backend: Backend }
  | { stage: 'warmup' }
  | { stage: 'ready'; warmupMs?: number };

export interface LoadOptions {
  /** URL of a model folder (config.json, tokenizer.json, model.safetensors) or its files. */
  model: string | URL | ModelFiles;
  /** "auto" (default): WebGPU on a hardware adapter, else burn's CPU backend. */
  backend?: 'auto' | Backend;
  onProgress?: (progress: LoadProgress) => void;
  /** Run the model once after loading (shader compilation); default true. */
  warmup?: boolean;
  /** Keep downloaded files in the Cache API (memory when over quota); default true. */
  cache?: boolean;
  /** Where the .wasm file is, when a bundler moved it. */
  wasmUrl?: string | URL;
}

export interface Image {
  width: number;
  height: number;
  /** RGBA, row-major: `new ImageData(data, width, height)`. */
  data: Uint8ClampedArray<ArrayBuffer>;
}

export interface StepPreview extends Image {
  step: number;
  steps: number;
  /** Side of this step's image: the schedule grows it step by step. */
  scale: number;
  ms: number;
}

export interface GenerateOptions {
  /** Integer in 0..2^53−1; default 0. Same seed, same image, on every backend. */
  seed?: number;
  /** Default: the model's own. */
  schedule?: Schedule;
  /** Guidance scale; default 1 (off) for few-step schedules, the model's for euler. */
  cfg?: number;
  onStep?: (preview: StepPreview) => void;
}

export interface GenerateResult extends Image {
  timings: { step: number; scale: number; ms: number }[];
  textMs: number;
  totalMs: number;
  backend: Backend;
  schedule: string;
  seed: number;
}

export interface ModelConfig {
  resolution: number;
  default_schedule: string;
  default_cfg: number;
  [key: string]: unknown;
}

export class Generator {
  /** Rejects with an Error naming the bad option, a failed download or an unloadable model. */
  static load(options: LoadOptions): Promise<Generator>;
  readonly backend: Backend;
  readonly backendReason: string;
  readonly config: ModelConfig;
  /** The schedules to offer: swd-core's presets, then the model's default if it is not one. */
  readonly schedules: ScheduleInfo[];
  readonly busy: boolean;
  /** Rejects on a bad argument, while another generation runs, or when cancelled. */
  generate(prompt: string, options?: GenerateOptions): Promise<GenerateResult>;
  /** Stops the running generation after its current step. */
  cancel(): void;
}

export function initWasm(wasmUrl?: string | URL): Promise<unknown>;
export function clearModelCache(): Promise<void>;
