// Preloaded into Prisma CLI runs (stack-notes workaround 3): the WASM schema
// engine leaves 10–60 s timers behind, so `migrate deploy` would linger long
// after its work is done. Timers of 10 s or more no longer keep the process alive.
"use strict";
const original = globalThis.setTimeout;
globalThis.setTimeout = function patchedSetTimeout(fn, ms, ...args) {
  const t = original(fn, ms, ...args);
  if (typeof ms === "number" && ms >= 10000 && t && typeof t.unref === "function") t.unref();
  return t;
};
