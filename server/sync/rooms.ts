/**
 * Rooms: one Yjs document and one awareness per room, the y-websocket
 * protocol with the room's sockets, persistence and relay through a
 * {@link SyncBackend}, and unloading once a room has been empty for a while.
 *
 * Our own version of `@y/websocket-server/utils`, which keeps its documents
 * and persistence in module-level singletons (two servers in one process
 * would share documents), sends sync step 1 before persistence has loaded
 * and unloads a room the moment its last client leaves.
 */
import type { WebSocket } from "ws";
import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import type { RoomLink, SyncBackend } from "./backend";
import { MESSAGE_AWARENESS, MESSAGE_SYNC } from "./frames";

/** Transaction / awareness origin of updates that came from another process (broadcast, never stored again). */
const RELAYED = Symbol("relayed");
/** Origin of the stored state applied when a room loads. */
const LOADED = Symbol("loaded");
/** Origin of awareness removals when a socket leaves (relayed, unlike the local timeout). */
const LEFT = Symbol("left");

/** A client whose unsent output exceeds this is too slow to keep up: it is closed and reconnects. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const PING_MS = 30_000;

export interface RoomsOptions {
  backend: SyncBackend;
  /** How long a room stays loaded after its last client left. */
  idleMs: number;
  log: (line: string) => void;
}

interface Room {
  name: string;
  doc: Y.Doc;
  awareness: awarenessProtocol.Awareness;
  /** Socket → awareness client ids it controls. */
  conns: Map<WebSocket, Set<number>>;
  link: RoomLink | null;
  ready: Promise<void>;
  idleTimer: NodeJS.Timeout | null;
  /** Document updates applied since the last broadcast, and the socket each came from. */
  outbox: Uint8Array[];
  outboxFrom: Set<unknown>;
  /** Awareness clients changed since the last broadcast; those changed by our own clients are relayed. */
  awarenessOut: Set<number>;
  awarenessRelay: Set<number>;
  flushScheduled: boolean;
}

export interface Rooms {
  /** Attach an admitted socket to a room (loading the room first). Rejects if the room cannot be loaded. */
  join(socket: WebSocket, name: string): Promise<void>;
  /** Names and client counts of loaded rooms. */
  loaded(): Map<string, number>;
  /** Flush and unload every room. */
  close(): Promise<void>;
}

function send(socket: WebSocket, message: Uint8Array): void {
  if (socket.readyState !== socket.OPEN) return;
  if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
    socket.close(1013, "you fell too far behind: reconnecting");
    return;
  }
  socket.send(message, (err) => {
    if (err) socket.terminate();
  });
}

function syncMessage(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_SYNC);
  write(e);
  return encoding.toUint8Array(e);
}

function awarenessMessage(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

export function createRooms(opts: RoomsOptions): Rooms {
  const rooms = new Map<string, Room>();
  /** Rooms being written out and released; a join waits so it loads what they stored. */
  const unloading = new Map<string, Promise<void>>();

  function createRoom(name: string): Room {
    const doc = new Y.Doc({ gc: true });
    const awareness = new awarenessProtocol.Awareness(doc);
    awareness.setLocalState(null);
    const room: Room = {
      name,
      doc,
      awareness,
      conns: new Map(),
      link: null,
      ready: Promise.resolve(),
      idleTimer: null,
      outbox: [],
      outboxFrom: new Set(),
      awarenessOut: new Set(),
      awarenessRelay: new Set(),
      flushScheduled: false,
    };
    const scheduleBroadcast = () => {
      if (room.flushScheduled) return;
      room.flushScheduled = true;
      setImmediate(() => broadcast(room));
    };

    doc.on("update", (update: Uint8Array, origin: unknown) => {
      room.outbox.push(update);
      room.outboxFrom.add(origin);
      scheduleBroadcast();
      if (origin !== RELAYED && origin !== LOADED) room.link?.store(update);
    });

    awareness.on("update", ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const ids = room.conns.get(origin as WebSocket);
      if (ids) {
        for (const id of added) ids.add(id);
        // A client that reconnects keeps its id and the room still knows its clock, so its state
        // comes back as "updated", not "added": it is this socket's now (withdrawn when it closes).
        for (const id of updated) ids.add(id);
        for (const id of removed) ids.delete(id);
      }
      // Our clients' changes and departures go to the other processes; their own timeouts they detect themselves.
      const relay = ids !== undefined || origin === LEFT;
      for (const list of [added, updated, removed]) {
        for (const id of list) {
          room.awarenessOut.add(id);
          if (relay) room.awarenessRelay.add(id);
        }
      }
      scheduleBroadcast();
    });

    room.ready = opts.backend
      .open(name, {
        applyRelayed: (update) => Y.applyUpdate(doc, update, RELAYED),
        applyRelayedAwareness: (update) => awarenessProtocol.applyAwarenessUpdate(awareness, update, RELAYED),
        dropRelayedClients: (ids) => awarenessProtocol.removeAwarenessStates(awareness, ids, RELAYED),
        localAwareness: () => {
          const ids = [...room.conns.values()].flatMap((s) => [...s]).filter((id) => awareness.states.has(id));
          return ids.length > 0 ? awarenessProtocol.encodeAwarenessUpdate(awareness, ids) : null;
        },
      })
      .then((link) => {
        room.link = link;
        if (link.stored.length > 0) {
          doc.transact(() => {
            for (const u of link.stored) Y.applyUpdate(doc, u, LOADED);
          }, LOADED);
        }
      });
    return room;
  }

  /**
   * Everything that changed during one turn of the event loop goes out as one frame per socket
   * (updates merged, awareness encoded once): under load this turns updates × sockets sends into
   * turns × sockets, and when quiet it adds no delay.
   */
  function broadcast(room: Room): void {
    room.flushScheduled = false;
    if (room.outbox.length > 0) {
      const updates = room.outbox;
      const from = room.outboxFrom;
      room.outbox = [];
      room.outboxFrom = new Set();
      const merged = updates.length === 1 ? updates[0]! : Y.mergeUpdates(updates);
      const message = syncMessage((e) => syncProtocol.writeUpdate(e, merged));
      // A socket that sent everything in this batch already has it.
      const skip = from.size === 1 ? [...from][0] : undefined;
      for (const socket of room.conns.keys()) if (socket !== skip) send(socket, message);
    }
    if (room.awarenessOut.size > 0) {
      const message = awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awarenessOut]));
      room.awarenessOut.clear();
      for (const socket of room.conns.keys()) send(socket, message);
    }
    if (room.awarenessRelay.size > 0) {
      room.link?.publishAwareness(awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awarenessRelay]));
      room.awarenessRelay.clear();
    }
  }

  function scheduleUnload(room: Room): void {
    if (room.idleTimer) clearTimeout(room.idleTimer);
    // Write what the last client sent right away; release the memory only after the grace period.
    void room.link?.flush().catch(() => undefined);
    room.idleTimer = setTimeout(() => {
      room.idleTimer = null;
      const stillIdle = () => room.conns.size === 0 && rooms.get(room.name) === room && room.idleTimer === null;
      if (!stillIdle()) return;
      // Only a room whose updates are all stored may leave memory: if Postgres is away, it stays loaded.
      (room.link?.flush() ?? Promise.resolve()).then(
        () => {
          if (!stillIdle()) return;
          rooms.delete(room.name);
          const done = unload(room).finally(() => unloading.delete(room.name));
          unloading.set(room.name, done);
        },
        (e: unknown) => {
          opts.log(`room ${room.name} stays loaded: ${e instanceof Error ? e.message : String(e)}`);
          if (stillIdle()) scheduleUnload(room);
        },
      );
    }, opts.idleMs);
    room.idleTimer.unref();
  }

  async function unload(room: Room): Promise<void> {
    try {
      await room.ready.catch(() => undefined);
      await room.link?.close();
      opts.log(`unloaded idle room ${room.name}`);
    } catch (e) {
      opts.log(`unloading room ${room.name} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      room.awareness.destroy();
      room.doc.destroy();
    }
  }

  function leave(room: Room, socket: WebSocket): void {
    const ids = room.conns.get(socket);
    if (!ids) return;
    room.conns.delete(socket);
    awarenessProtocol.removeAwarenessStates(room.awareness, [...ids], LEFT);
    if (room.conns.size === 0) scheduleUnload(room);
  }

  async function join(socket: WebSocket, name: string): Promise<void> {
    for (let pending = unloading.get(name); pending; pending = unloading.get(name)) await pending;
    let room = rooms.get(name);
    if (!room) {
      room = createRoom(name);
      rooms.set(name, room);
    }
    if (room.idleTimer) {
      clearTimeout(room.idleTimer);
      room.idleTimer = null;
    }
    const r = room;
    r.conns.set(socket, new Set());
    let alive = true;
    const ping = setInterval(() => {
      if (!alive) return void socket.terminate();
      alive = false;
      socket.ping();
    }, PING_MS);
    ping.unref();
    socket.on("pong", () => (alive = true));
    socket.on("close", () => {
      clearInterval(ping);
      leave(r, socket);
    });
    try {
      await r.ready;
    } catch (e) {
      // Let the next join try again; this socket learns why.
      if (rooms.get(name) === r) rooms.delete(name);
      for (const s of r.conns.keys()) s.close(1011, "the room could not be loaded: reconnecting");
      r.conns.clear();
      r.awareness.destroy();
      r.doc.destroy();
      throw e;
    }
    if (socket.readyState !== socket.OPEN) return;
    socket.binaryType = "arraybuffer";
    socket.on("message", (data: ArrayBuffer | Buffer) => {
      const frame = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      try {
        const decoder = decoding.createDecoder(frame);
        const type = decoding.readVarUint(decoder);
        if (type === MESSAGE_SYNC) {
          const reply = encoding.createEncoder();
          encoding.writeVarUint(reply, MESSAGE_SYNC);
          syncProtocol.readSyncMessage(decoder, reply, r.doc, socket);
          if (encoding.length(reply) > 1) send(socket, encoding.toUint8Array(reply));
        } else if (type === MESSAGE_AWARENESS) {
          awarenessProtocol.applyAwarenessUpdate(r.awareness, decoding.readVarUint8Array(decoder), socket);
        }
      } catch (e) {
        // frames.ts has already refused anything undecodable; this is a Yjs-level failure
        opts.log(`room ${name}: a frame could not be applied: ${e instanceof Error ? e.message : String(e)}`);
      }
    });
    send(socket, syncMessage((e) => syncProtocol.writeSyncStep1(e, r.doc)));
    const states = r.awareness.getStates();
    if (states.size > 0) send(socket, awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(r.awareness, [...states.keys()])));
  }

  return {
    join,
    loaded: () => new Map([...rooms].map(([n, r]) => [n, r.conns.size])),
    async close() {
      const all = [...rooms.values()];
      rooms.clear();
      for (const r of all) {
        if (r.idleTimer) clearTimeout(r.idleTimer);
        // Tell the other processes our clients are gone now rather than after their 30 s timeout.
        const ids = [...r.conns.values()].flatMap((set) => [...set]);
        for (const s of r.conns.keys()) s.terminate();
        r.conns.clear();
        if (ids.length > 0) awarenessProtocol.removeAwarenessStates(r.awareness, ids, LEFT);
        broadcast(r);
      }
      await Promise.all([...all.map(unload), ...unloading.values()]);
    },
  };
}
