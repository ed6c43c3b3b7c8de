"use client";
import { useEffect, useState, type ReactNode } from "react";
import { LocalPresence, PeerStore } from "@statescope/collab";
import { useAfterFirstWindow } from "@/app/_lib/after-first-window";
import { nextFrame } from "./presence";
import { RoomBar } from "./room-bar";
import { PresenceProvider, type RoomPlumbing } from "./room-context";
import { useRoom } from "./use-room";
import "./room.css";

/**
 * The realtime room around one dataset's explorer: connects, keeps our presence and the others'
 * presence, and shows the bar (who is here, follow, spotlight, notes) above the explorer.
 */
export function DatasetRoom({ workspace, datasetId, actions, children }: { workspace: string; datasetId: string; actions?: (canEdit: boolean) => ReactNode; children: ReactNode }) {
  // the room connects once the explorer has shown its first window (after-first-window.ts)
  const room = useRoom(workspace, datasetId, useAfterFirstWindow());
  const [plumbing] = useState<RoomPlumbing>(() => ({ local: new LocalPresence(), peers: new PeerStore(nextFrame) }));
  const awareness = room?.awareness ?? null;
  const me = room?.me ?? null;
  const stopped = room?.phase.kind === "stopped";
  useEffect(() => {
    plumbing.local.bind(stopped ? null : awareness, me);
    plumbing.peers.attach(stopped ? null : awareness, me?.id ?? null);
  }, [plumbing, awareness, me, stopped]);
  useEffect(() => () => plumbing.local.dispose(), [plumbing]);
  return (
    <PresenceProvider plumbing={plumbing}>
      <RoomBar room={room} plumbing={plumbing} actions={actions} />
      {children}
    </PresenceProvider>
  );
}
