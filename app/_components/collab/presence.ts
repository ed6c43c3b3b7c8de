"use client";
import type { Awareness } from "y-protocols/awareness";
import {
  COLLAB_SCHEMA_VERSION,
  MAX_VIEW_QUERY,
  readPresence,
  type Presence,
  type PresenceUser,
  type SharedView,
} from "@statescope/collab";
import { defaultLayer, defaultViewState, encodeViewState, type ExplorerViewState } from "@statescope/core";

/** Presence is sent at most this often (≤ 20 updates/s); the last change always goes out. */
export const PRESENCE_INTERVAL_MS = 50;

/** Another member in the room (one entry per user: several tabs of one user show once). */
export interface Peer {
  clientId: number;
  user: PresenceUser;
  view: SharedView | null;
  following: string | null;
}

/** The part of the explorer state others see: the active (match) layer, window, brush, cells. */
export function sharedViewOf(state: ExplorerViewState, steps: number, cells: readonly number[] | null): SharedView | null {
  const active = Math.max(0, Math.min(state.match.layer, state.layers.length - 1));
  const layer = state.layers[active];
  if (!layer || !Number.isFinite(layer.threshold)) return null;
  const query = encodeViewState(state);
  return {
    source: layer.source.slice(0, 200),
    position: state.pos,
    window: Math.max(1, Math.min(100_000, steps)),
    brush: state.brush,
    padding: state.pad,
    threshold: layer.threshold,
    cells: [...(cells ?? [])].sort((a, b) => a - b).slice(0, 4096),
    ...(query.length <= MAX_VIEW_QUERY ? { query } : {}),
  };
}

/** The explorer query that restores a shared view: its own query, or one rebuilt from the fields. */
export function queryOf(v: SharedView): string {
  if (v.query !== undefined) return v.query;
  const s = defaultViewState([v.source]);
  s.layers = [{ ...defaultLayer(v.source), threshold: v.threshold, pinned: v.brush ? null : v.cells }];
  s.pos = v.position;
  s.brush = v.brush;
  s.pad = v.padding;
  return encodeViewState(s);
}

/** Restore a view by navigating to its URL (the explorer reads its state from there). */
export function navigateToView(v: SharedView, mode: "push" | "replace"): void {
  const q = queryOf(v);
  if (window.location.search.slice(1) === q) return;
  const url = `${window.location.pathname}?${q}`;
  // Next.js routes native history calls through its router, so useSearchParams sees them.
  if (mode === "push") window.history.pushState(null, "", url);
  else window.history.replaceState(window.history.state, "", url);
}

/** Human "where": "viewing token 1,234 on states2 · brushed 1,240–1,244". */
export function describeView(v: SharedView | null): string {
  if (!v) return "not on the Select view";
  const at = `viewing token ${v.position.toLocaleString("en-US")} on ${v.source}`;
  return v.brush ? `${at} · brushed ${v.brush[0].toLocaleString("en-US")}–${(v.brush[1] - 1).toLocaleString("en-US")}` : at;
}

export function initials(name: string): string {
  const parts = name.replace(/@.*/, "").split(/[\s._-]+/).filter(Boolean);
  const s = parts.length >= 2 ? parts[0]![0]! + parts[1]![0]! : (parts[0] ?? "?").slice(0, 2);
  return s.toUpperCase();
}

/**
 * Our own awareness state. The explorer reports its view on every change; this sends it at most
 * every PRESENCE_INTERVAL_MS (the view is computed only when sent) and never sends an unchanged
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

  bind(awareness: Awareness | null, me: PresenceUser | null): void {
    this.awareness = awareness;
    this.me = me;
    this.lastJson = "";
    this.flush();
  }

  setView(view: (() => SharedView | null) | null): void {
    this.view = view;
    for (const l of this.viewListeners) l();
    const wait = this.lastSent + PRESENCE_INTERVAL_MS - Date.now();
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
    const state: Presence = { schemaVersion: COLLAB_SCHEMA_VERSION, user: this.me, view: this.currentView(), following: this.following };
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
    awareness.on("change", read);
    read();
    this.detachFn = () => awareness.off("change", read);
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
