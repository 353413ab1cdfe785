// URLs of this package's own files (the wasm module, the worker), for where a dev server moved
// the JS away from them.

// Vite < 8's dev server pre-bundles dependencies into node_modules/.vite/deps/, where a
// `new URL('./x', import.meta.url)` no longer points into this package (it answers with the
// HTML fallback); the package's files are still served from node_modules/swd-web/. Vite 8,
// production builds and other bundlers keep such URLs right and get `undefined` here.
const VITE_DEPS = /\/node_modules\/\.vite\/deps\/[^/]*$/;

/** `path` inside the package when this module runs from Vite's dependency cache, else undefined. */
export function viteDepsUrl(path) {
  const here = import.meta.url.split(/[?#]/)[0];
  return VITE_DEPS.test(here) ? new URL(`../../swd-web/${path}`, here) : undefined;
}
