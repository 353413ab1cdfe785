// Model files from a URL: streamed with byte progress, kept in the Cache API under a versioned
// cache name, and in memory when the Cache API is missing or over quota.

const CACHE_NAME = 'swd-web-models-v1';
const memory = new Map();

async function openCache() {
  if (!globalThis.caches) return null;
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return null; // e.g. opaque origins, private modes
  }
}

async function readWithProgress(response, url, onProgress) {
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ stage: 'download', file: url, loaded: bytes.length, total: bytes.length, cached: false });
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress?.({ stage: 'download', file: url, loaded, total, cached: false });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return bytes;
}

/** Fetches `url` as bytes, from the cache when it holds it. */
export async function fetchBytes(url, { onProgress, cache = true } = {}) {
  if (cache && memory.has(url)) return memory.get(url);
  const store = cache ? await openCache() : null;
  const hit = store && (await store.match(url));
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    onProgress?.({ stage: 'download', file: url, loaded: bytes.length, total: bytes.length, cached: true });
    return bytes;
  }
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${e?.message ?? e}`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  const bytes = await readWithProgress(response, url, onProgress);
  if (cache) {
    try {
      if (!store) throw new Error('no Cache API');
      await store.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
    } catch {
      memory.set(url, bytes); // quota exceeded or no Cache API: keep it for this page's lifetime
    }
  }
  return bytes;
}

/** The three files of a model folder at `base` (a URL ending in the folder name). */
export async function fetchModel(base, options = {}) {
  const root = base.endsWith('/') ? base : `${base}/`;
  const settled = await Promise.allSettled(
    ['config.json', 'tokenizer.json', 'model.safetensors'].map((f) => fetchBytes(new URL(f, new URL(root, globalThis.location?.href)).href, options)),
  );
  // The files download in parallel, but a failure is reported in file order, so the error a
  // user sees for a wrong folder does not depend on which request the network answered first.
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const [config, tokenizer, weights] = settled.map((s) => s.value);
  return { config, tokenizer, weights };
}

/** Removes every cached model file (all versions of this package's cache). */
export async function clearModelCache() {
  memory.clear();
  if (!globalThis.caches) return;
  for (const name of await caches.keys()) {
    if (name.startsWith('swd-web-models-')) await caches.delete(name);
  }
}
