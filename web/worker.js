// Web Worker entry: runs a Generator off the page's thread. Messages: { id, type: 'load' |
// 'generate' | 'cancel', ... }; replies { id, kind: 'progress' | 'step' | 'done' | 'error', ... }.
// Driven by worker-client.js.

import { Generator } from './index.js';

let generator = null;

self.onmessage = async ({ data: msg }) => {
  const { id, type } = msg;
  const reply = (kind, payload = {}, transfer = []) => self.postMessage({ id, kind, ...payload }, transfer);
  try {
    if (type === 'load') {
      const onProgress = (p) => reply('progress', { progress: p });
      generator = await Generator.load({ ...msg.options, onProgress });
      const { backend, backendReason, config, schedules } = generator;
      reply('done', { result: { backend, backendReason, config, schedules } });
    } else if (type === 'generate') {
      if (!generator) throw new Error('no model is loaded in this worker');
      const onStep = msg.wantSteps ? (s) => reply('step', { step: s }) : undefined;
      const result = await generator.generate(msg.prompt, { ...msg.options, ...(onStep ? { onStep } : {}) });
      reply('done', { result }, [result.data.buffer]);
    } else if (type === 'cancel') {
      generator?.cancel();
    } else {
      throw new Error(`unknown worker message type '${type}'`);
    }
  } catch (e) {
    reply('error', { message: e?.message ?? String(e) });
  }
};
