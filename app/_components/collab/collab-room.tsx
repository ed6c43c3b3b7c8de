"use client";
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from "react";
import type { ExplorerViewState } from "@statescope/core";
import { useAfterFirstWindow } from "@/app/_lib/after-first-window";
import { CollabBar } from "./collab-bar";
import { LocalPresence, PeerStore, type Peer } from "@statescope/collab";
import { nextFrame, sharedViewOf } from "./presence";
import { useRoom } from "./use-room";
import "./collab.css";

/** What the explorer needs from the room: stable for the page's lifetime, so it never re-renders the plots. */
export interface CollabPlumbing {
  local: LocalPresence;
  peers: PeerStore;
}

const CollabContext = createContext<CollabPlumbing | null>(null);

/**
 * The realtime room around one dataset's explorer: connects, keeps our presence and the others'
 * presence, and shows the bar (who is here, follow, spotlight, notes) above the explorer.
 */
export function CollabRoom({ workspace, datasetId, children }: { workspace: string; datasetId: string; children: ReactNode }) {
  // the room connects once the explorer has shown its first window (after-first-window.ts)
  const room = useRoom(workspace, datasetId, useAfterFirstWindow());
  const [plumbing] = useState<CollabPlumbing>(() => ({ local: new LocalPresence(), peers: new PeerStore(nextFrame) }));
  const awareness = room?.awareness ?? null;
  const me = room?.me ?? null;
  const stopped = room?.phase.kind === "stopped";
  useEffect(() => {
    plumbing.local.bind(stopped ? null : awareness, me);
    plumbing.peers.attach(stopped ? null : awareness, me?.id ?? null);
  }, [plumbing, awareness, me, stopped]);
  useEffect(() => () => plumbing.local.dispose(), [plumbing]);
  return (
    <CollabContext.Provider value={plumbing}>
      <CollabBar room={room} plumbing={plumbing} />
      {children}
    </CollabContext.Provider>
  );
}

/** Presence plumbing without a room: the bench page feeds it generated members. */
export function PresenceProvider({ plumbing, children }: { plumbing: CollabPlumbing; children: ReactNode }) {
  return <CollabContext.Provider value={plumbing}>{children}</CollabContext.Provider>;
}

/** The explorer reports its view here (a no-op outside a room, e.g. on the bench page). */
export function usePublishView(state: ExplorerViewState, steps: number, cells: readonly number[] | null): void {
  const ctx = useContext(CollabContext);
  useEffect(() => {
    ctx?.local.setView(() => sharedViewOf(state, steps, cells));
  }, [ctx, state, steps, cells]);
  useEffect(() => () => ctx?.local.setView(null), [ctx]);
}

const NO_PEERS: readonly Peer[] = [];

/** The other members, re-rendering the caller only when someone's presence changes. */
export function usePeers(): readonly Peer[] {
  const ctx = useContext(CollabContext);
  const store = ctx?.peers;
  return useSyncExternalStore(
    store?.subscribe ?? noopSubscribe,
    store?.getSnapshot ?? emptyPeers,
    emptyPeers,
  );
}

const noopSubscribe = () => () => undefined;
const emptyPeers = () => NO_PEERS;
