"use client";
import { useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { Explorer } from "@/app/_components/explorer/explorer";
import type { ExplorerSlots } from "@/app/_components/explorer/slots";
import { createSyntheticData } from "@/app/_components/explorer/synthetic-data";
import { PresenceOverlay } from "@/app/_components/room/presence-overlay";
import { BenchPresence } from "./bench-presence";

// the members' presence over the plots, as on a workspace dataset's explorer
const SLOTS: ExplorerSlots = { plotOverlay: (o) => <PresenceOverlay {...o} /> };

export function BenchExplorer() {
  const data = useMemo(() => createSyntheticData({ steps: 4000, cells: 650 }), []);
  // ?peers=N draws N generated members' presence over the plots (see bench-presence.tsx)
  const peers = Math.max(0, Math.min(5, Number(useSearchParams().get("peers")) || 0));
  const explorer = <Explorer data={data} selectLink={(q) => `/bench/select-view?${q}`} slots={SLOTS} />;
  return peers > 0 ? (
    <BenchPresence peers={peers} source="states::states1">
      {explorer}
    </BenchPresence>
  ) : (
    explorer
  );
}
