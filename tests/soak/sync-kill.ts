/**
 * The realtime crash bound under `npm start`: a member writes Yjs updates into a room at
 * `perSecond` (200/s) while an observer notes when the sync process accepted each one (it is
 * broadcast as it is queued for storage); the sync process is killed with SIGKILL mid-stream.
 * The writer goes away with the process (its browser would re-send its unsaved state on
 * reconnecting: that would hide a loss), the launcher restarts sync, and a new member reads the
 * room: every update accepted more than `windowMs` before the kill must be there (SECURITY.md:
 * updates are written at most SYNC_FLUSH_MS after they arrive; the window allows for the write
 * itself), none twice.
 */
import type * as Y from "yjs";
import { serving, type Launcher } from "../setup/launcher";
import { member, synced, type FloodMember } from "./sync-flood";

export interface SyncKillTrial {
  sent: number;
  /** Updates the observer saw accepted before the kill. */
  accepted: number;
  /** Accepted more than windowMs before the kill, and missing after the restart. */
  lost: number;
  /** Accepted within the last windowMs and missing (allowed). */
  lostInWindow: number;
  /** Entries stored twice. */
  duplicated: number;
  /** ms from the kill until the sync process served again. */
  backMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function syncKillTrial(
  l: Launcher,
  o: { secret: string; who: Omit<FloodMember, "room">; room: string; array: string; perSecond?: number; windowMs?: number },
): Promise<SyncKillTrial> {
  const perSecond = o.perSecond ?? 200;
  const windowMs = o.windowMs ?? 100;
  const writer = member(l.syncUrl, o.secret, { ...o.who, room: o.room });
  const observer = member(l.syncUrl, o.secret, { ...o.who, room: o.room });
  await Promise.all([synced(writer.provider), synced(observer.provider)]);
  const seenAt = new Map<number, number>();
  observer.doc.getArray<number>(o.array).observe((ev: Y.YArrayEvent<number>) => {
    const now = performance.now();
    for (const item of ev.changes.added) for (const v of item.content.getContent() as number[]) seenAt.set(v, now);
  });
  const log = writer.doc.getArray<number>(o.array);
  let sent = 0;
  const t0 = performance.now();
  // a steady rate however late the timer fires: each tick sends every update due by now
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) * perSecond) / 1000);
    while (sent < due) log.push([sent++]);
  }, 5);
  let killedAt = 0;
  try {
    // kill mid-stream, once a second's worth of updates was accepted
    for (const end = Date.now() + 60_000; seenAt.size < perSecond; await sleep(20)) {
      if (Date.now() > end) throw new Error(`the sync process accepted only ${seenAt.size} updates in 60 s`);
    }
    await sleep(Math.floor(Math.random() * 500));
  } finally {
    killedAt = performance.now();
    process.kill(l.pids().sync, "SIGKILL");
    clearInterval(tick);
    writer.provider.destroy();
    observer.provider.destroy();
  }
  const k0 = Date.now();
  let backMs = Number.POSITIVE_INFINITY;
  for (const end = k0 + 20_000; Date.now() < end; await sleep(100)) {
    if (await serving(l, "sync", 2000)) {
      backMs = Date.now() - k0;
      break;
    }
  }
  const reader = member(l.syncUrl, o.secret, { ...o.who, room: o.room });
  try {
    await synced(reader.provider);
    const values = reader.doc.getArray<number>(o.array).toArray();
    const got = new Set(values);
    const missing = [...seenAt.keys()].filter((v) => !got.has(v));
    const old = missing.filter((v) => killedAt - seenAt.get(v)! > windowMs);
    return { sent, accepted: seenAt.size, lost: old.length, lostInWindow: missing.length - old.length, duplicated: values.length - got.size, backMs };
  } finally {
    reader.provider.destroy();
  }
}
