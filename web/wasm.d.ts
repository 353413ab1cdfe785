/** The URL of swd-web's wasm module, as a bundler's asset loader gives it (for `wasmUrl`). */
declare const url: string;
export default url;
