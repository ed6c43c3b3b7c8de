"use client";
import { createContext, useContext, useEffect, useSyncExternalStore, type ReactNode } from "react";
import type { ExplorerViewState } from "@statescope/core";
import type { LocalPresence, Peer, PeerStore } from "@statescope/collab";
import { sharedViewOf } from "./presence";

/** Our presence and the others': stable for the page's lifetime, so it never re-renders the plots. */
export interface RoomPlumbing {
  local: LocalPresence;
  peers: PeerStore;
}

const RoomContext = createContext<RoomPlumbing | null>(null);

/** Presence plumbing for what is below: the room provides it, the bench page feeds it generated members. */
export function PresenceProvider({ plumbing, children }: { plumbing: RoomPlumbing; children: ReactNode }) {
  return <RoomContext.Provider value={plumbing}>{children}</RoomContext.Provider>;
}

/** Reports the explorer's view as our presence (a no-op outside a room). */
export function usePublishView(state: ExplorerViewState, steps: number, cells: readonly number[] | null): void {
  const ctx = useContext(RoomContext);
  useEffect(() => {
    ctx?.local.setView(() => sharedViewOf(state, steps, cells));
  }, [ctx, state, steps, cells]);
  useEffect(() => () => ctx?.local.setView(null), [ctx]);
}

/** {@link usePublishView} as an element, for the explorer's `publish` slot. */
export function PublishView({ state, steps, cells }: { state: ExplorerViewState; steps: number; cells: readonly number[] | null }) {
  usePublishView(state, steps, cells);
  return null;
}

const NO_PEERS: readonly Peer[] = [];
const noopSubscribe = () => () => undefined;
const emptyPeers = () => NO_PEERS;

/** The other members, re-rendering the caller only when someone's presence changes. */
export function usePeers(): readonly Peer[] {
  const store = useContext(RoomContext)?.peers;
  return useSyncExternalStore(store?.subscribe ?? noopSubscribe, store?.getSnapshot ?? emptyPeers, emptyPeers);
}
