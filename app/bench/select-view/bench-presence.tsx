"use client";
import { useEffect, useState, type ReactNode } from "react";
import * as Y from "yjs";
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate } from "y-protocols/awareness";
import { colorFor, COLLAB_SCHEMA_VERSION, LocalPresence, PeerStore, PRESENCE_INTERVAL_MS, type Presence } from "@statescope/collab";
import { PresenceProvider, type RoomPlumbing } from "@/app/_components/room/room-context";
import { nextFrame } from "@/app/_components/room/presence";

/**
 * Generated members for `npm run bench:ui`: each has its own Awareness whose updates are encoded
 * and applied to ours exactly as they arrive from the sync server. Each moves its brush and
 * threshold at the highest presence rate (20/s) and picks a new set of 30 cells twice a second,
 * so the bench measures our threshold drag while others' presence is being redrawn.
 */
export function BenchPresence({ peers, source, children }: { peers: number; source: string; children: ReactNode }) {
  const [plumbing] = useState<RoomPlumbing>(() => ({ local: new LocalPresence(), peers: new PeerStore(nextFrame) }));
  useEffect(() => {
    const doc = new Y.Doc();
    const ours = new Awareness(doc);
    plumbing.peers.attach(ours, "bench-self");
    const others = Array.from({ length: peers }, (_, i) => {
      const a = new Awareness(new Y.Doc());
      const id = `bench-peer-${i}`;
      return { a, id, name: ["Ada Park", "Bo Chen", "Cy Diaz", "Di Evans", "Ed Fox"][i % 5]!, i };
    });
    let tick = 0;
    const move = () => {
      tick++;
      for (const o of others) {
        const start = 6 + o.i * 9 + (tick % 6);
        const state: Presence = {
          schemaVersion: COLLAB_SCHEMA_VERSION,
          user: { id: o.id, name: o.name, color: colorFor(o.id), role: "EDITOR" },
          view: {
            source,
            position: 0,
            window: 60,
            brush: [start, start + 3],
            padding: [1, 1],
            threshold: 0.2 + 0.05 * o.i + 0.01 * (tick % 10),
            // a new selection twice a second (someone brushing ranges), 30 cells each
            cells: Array.from({ length: 30 }, (_, k) => (k * 21 + o.i * 7 + Math.floor(tick / 10)) % 650).sort((x, y) => x - y),
          },
          following: null,
        };
        o.a.setLocalState(state);
        applyAwarenessUpdate(ours, encodeAwarenessUpdate(o.a, [o.a.clientID]), "bench");
      }
    };
    move();
    const timer = setInterval(move, PRESENCE_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      plumbing.peers.attach(null, null);
      for (const o of others) o.a.destroy();
      ours.destroy();
      doc.destroy();
    };
  }, [plumbing, peers, source]);
  return <PresenceProvider plumbing={plumbing}>{children}</PresenceProvider>;
}
