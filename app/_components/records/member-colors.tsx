"use client";
import { useQuery } from "@tanstack/react-query";
import { createContext, useContext, type ReactNode } from "react";
import { colorFor } from "@statescope/collab";
import { useTRPC } from "@/app/_lib/trpc";

const Colors = createContext<Readonly<Record<string, string>>>({});

/**
 * The workspace's member colours (`workspace.get`, by join order: the colour each member also has
 * in presence), for the avatars of every workspace page.
 */
export function MemberColorsProvider({ workspace, children }: { workspace: string; children: ReactNode }) {
  const trpc = useTRPC();
  const ws = useQuery(trpc.workspace.get.queryOptions({ workspace }));
  return <Colors.Provider value={ws.data?.colors ?? {}}>{children}</Colors.Provider>;
}

/** A person's colour: their member colour, or a stable hash colour for someone who left. */
export function useMemberColor(id: string | null | undefined): string {
  const colors = useContext(Colors);
  return id ? (colors[id] ?? colorFor(id)) : "#98a2ae";
}
