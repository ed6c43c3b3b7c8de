/**
 * Presence bookkeeping shared by every client of a room: our own awareness state, throttled, and
 * the other members' states read through `readPresence` (anything else on the wire is ignored).
 */
import { Awareness } from "y-protocols/awareness";
import type * as Y from "yjs";
import { fitPresence } from "./presence-wire";
import { COLLAB_SCHEMA_VERSION, readPresence, type PresenceUser, type SharedView } from "./schema";

/** Presence is sent at most this often (≤ 20 updates/s); the last change always goes out. */
export const PRESENCE_INTERVAL_MS = 50;

/**
 * A room client's awareness, without a local state until its presence is set (LocalPresence).
 * y-protocols starts one at `{}`, which y-websocket announces as soon as the socket opens: not a
 * presence, so the sync server refused it as a malformed frame, one of the three that close a
 * socket — two, with the re-announce on "connected", for a page that connected before its first
 * presence was set.
 */
export function createRoomAwareness(doc: Y.Doc): Awareness {
  const awareness = new Awareness(doc);
  awareness.setLocalState(null);
  return awareness;
}

/** Another member in the room (one entry per user: several tabs of one user show once). */
export interface Peer {
  clientId: number;
  user: PresenceUser;
  view: SharedView | null;
  following: string | null;
}

/**
 * Our own awareness state. The explorer reports its view on every change; this sends it at most
 * every `intervalMs` (default PRESENCE_INTERVAL_MS; a classroom's students send once a second, since
 * following a presenter moves them 10 times a second) (the view is computed only when sent) and never sends an unchanged
 * state twice.
 */
export class LocalPresence {
  private awareness: Awareness | null = null;
  private me: PresenceUser | null = null;
  private view: (() => SharedView | null) | null = null;
  private following: string | null = null;
  private lastSent = 0;
  private lastJson = "";
  private timer: ReturnType<typeof setTimeout> | null = null;
  private viewListeners = new Set<() => void>();

  constructor(private readonly intervalMs = PRESENCE_INTERVAL_MS) {}

  bind(awareness: Awareness | null, me: PresenceUser | null): void {
    this.awareness = awareness;
    this.me = me;
    this.lastJson = "";
    this.flush();
  }

  setView(view: (() => SharedView | null) | null): void {
    this.view = view;
    for (const l of this.viewListeners) l();
    const wait = this.lastSent + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, wait);
    }
  }

  /** The current view, computed now (for "show everyone this view"). */
  currentView(): SharedView | null {
    return this.view ? this.view() : null;
  }

  /** Called when the explorer's view changes (not throttled). */
  onView(l: () => void): () => void {
    this.viewListeners.add(l);
    return () => this.viewListeners.delete(l);
  }

  setFollowing(userId: string | null): void {
    this.following = userId;
    this.flush();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): void {
    if (!this.awareness || !this.me) return;
    // within the server's bound, so an unusually large selection is trimmed rather than refused
    const state = fitPresence({ schemaVersion: COLLAB_SCHEMA_VERSION, user: this.me, view: this.currentView(), following: this.following });
    const json = JSON.stringify(state);
    if (json === this.lastJson) return;
    this.lastJson = json;
    this.lastSent = Date.now();
    this.awareness.setLocalState(state);
  }
}

/** Everyone else in the room, as a snapshot for useSyncExternalStore (a new array only on change). */
export class PeerStore {
  private peers: readonly Peer[] = [];
  private listeners = new Set<() => void>();
  private detachFn: (() => void) | null = null;

  /**
   * `batch` coalesces bursts (several members moving at once) into one re-read and one
   * notification; a page passes requestAnimationFrame so presence redraws at most once a frame.
   */
  constructor(private readonly batch?: (run: () => void) => void) {}

  attach(awareness: Awareness | null, selfId: string | null): void {
    this.detachFn?.();
    this.detachFn = null;
    if (!awareness) {
      this.set([]);
      return;
    }
    const read = () => {
      const byUser = new Map<string, Peer>();
      for (const [clientId, raw] of awareness.getStates()) {
        if (clientId === awareness.clientID) continue;
        const p = readPresence(raw);
        if (!p || p.user.id === selfId) continue;
        const prev = byUser.get(p.user.id);
        // one entry per user: prefer a tab that is on the Select view, then the newest client
        if (!prev || (p.view !== null && prev.view === null) || ((p.view !== null) === (prev.view !== null) && clientId > prev.clientId)) {
          byUser.set(p.user.id, { clientId, user: p.user, view: p.view, following: p.following });
        }
      }
      this.set([...byUser.values()].sort((a, b) => a.user.name.localeCompare(b.user.name)));
    };
    // per attachment: a batch still pending from a previous attachment must not swallow this one's changes
    let attached = true;
    let pending = false;
    const onChange = () => {
      if (!this.batch) return read();
      if (pending) return;
      pending = true;
      this.batch(() => {
        pending = false;
        if (attached) read();
      });
    };
    awareness.on("change", onChange);
    read();
    this.detachFn = () => {
      attached = false;
      awareness.off("change", onChange);
    };
  }

  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  getSnapshot = (): readonly Peer[] => this.peers;

  private set(peers: readonly Peer[]): void {
    this.peers = peers;
    for (const l of this.listeners) l();
  }
}
