"use client";
import { useEffect, useRef, useState } from "react";
import * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import { WebsocketProvider } from "y-websocket";
import * as decoding from "lib0/decoding";
import { checkSchema, CLOSE_SCHEMA_MISMATCH, COLLAB_SCHEMA_VERSION, createRoomAwareness, MESSAGE_ROLE, MESSAGE_SIGNAL, ZPresenceUser, type PresenceUser } from "@statescope/collab";
import { errorMessage, useTRPCClient } from "@/app/_lib/trpc";

/** Close codes of our sync server (server/sync/server.ts). */
const CLOSE_MALFORMED = 4400;
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;

export type RoomPhase =
  | { kind: "connecting" }
  | { kind: "live"; synced: boolean }
  | { kind: "retrying"; inMs: number; why: string }
  /** Retrying cannot help: the page says why and what to do. */
  | { kind: "stopped"; code: number; title: string; detail: string; reload: boolean };

export interface Room {
  doc: Y.Doc;
  awareness: Awareness;
  phase: RoomPhase;
  /** Who we are in this room (from the token), or null before the first token. */
  me: PresenceUser | null;
  /** Writes are accepted (EDITOR/OWNER) and the room is live. */
  canEdit: boolean;
  /** Set when the server changed our role while we were here (told on the open socket, or closed with 4403 and rejoined). */
  notice: string | null;
  /**
   * The server's signals to this room's staff (MESSAGE_SIGNAL), one event each, named by the
   * signal (`tasks`: answers were stored). The same object for the room's whole life.
   */
  signals: EventTarget;
}

export interface TokenOut {
  room: string;
  token: string;
  url: string;
  role: PresenceUser["role"];
  user: { id: string; name: string; color: string };
}

function trpcCode(e: unknown): string | undefined {
  if (e && typeof e === "object" && "data" in e) {
    const d = (e as { data?: { code?: unknown } }).data;
    return typeof d?.code === "string" ? d.code : undefined;
  }
  return undefined;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10_000];

/**
 * The realtime room of one dataset: a Y.Doc and awareness kept in sync with the sync server.
 * Before every (re)connect a fresh short-lived token comes from `sync.token` (the server checks
 * membership there and again on the socket). y-websocket's own reconnect loop is off (it would
 * reuse an expired token): every close comes back here, and a close that retrying cannot fix
 * (removed from the workspace, an out-of-date page, a refused frame) stops with a reason.
 */
export function useRoom(workspace: string, datasetId: string, enabled = true): Room | null {
  const client = useTRPCClient();
  return useTicketRoom(`${workspace}/${datasetId}`, () => client.sync.token.mutate({ workspace, datasetId }), enabled, "workspace");
}

/**
 * A realtime room whose tickets come from `ticket` (a workspace dataset's room, or a classroom
 * session's: `classroom.ticket`); `key` names the room (a new key connects anew); `where` names
 * what one is removed from in the messages.
 */
export function useTicketRoom(key: string, ticket: () => Promise<TokenOut>, enabled = true, where: "workspace" | "class session" = "workspace"): Room | null {
  const [room, setRoom] = useState<Room | null>(null);
  const ticketRef = useRef(ticket);
  ticketRef.current = ticket;

  useEffect(() => {
    if (!enabled) return;
    const doc = new Y.Doc();
    const awareness = createRoomAwareness(doc);
    let provider: WebsocketProvider | null = null;
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let failures = 0;
    /** Consecutive auth refusals without a sync in between: a second one stops. */
    let refusals = 0;
    let everLive = false;
    /** The server's reason for the last close, shown when we stop. */
    let lastReason: string | null = null;
    const signals = new EventTarget();
    let current: Room = { doc, awareness, phase: { kind: "connecting" }, me: null, canEdit: false, notice: null, signals };
    const set = (patch: Partial<Room>) => {
      if (disposed) return;
      current = { ...current, ...patch };
      current.canEdit = current.phase.kind === "live" && current.phase.synced && current.me !== null && current.me.role !== "VIEWER";
      setRoom(current);
    };
    const stop = (code: number, title: string, detail: string, reload: boolean) => {
      provider?.disconnect();
      awareness.setLocalState(null);
      set({ phase: { kind: "stopped", code, title, detail, reload } });
    };
    const retry = (why: string) => {
      const inMs = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!;
      failures++;
      set({ phase: { kind: "retrying", inMs, why } });
      timer = setTimeout(() => void connect(), inMs);
    };

    async function connect(): Promise<void> {
      if (disposed) return;
      set({ phase: { kind: "connecting" } });
      let t: TokenOut;
      try {
        t = await ticketRef.current();
      } catch (e) {
        const code = trpcCode(e);
        if (code === "FORBIDDEN" || code === "NOT_FOUND") {
          return everLive
            ? stop(CLOSE_FORBIDDEN, `You were removed from this ${where}`, where === "workspace" ? `${lastReason ?? errorMessage(e)}. Ask an owner to invite you again.` : errorMessage(e), false)
            : stop(CLOSE_FORBIDDEN, `You cannot join this ${where === "workspace" ? "dataset's room" : where}`, errorMessage(e), false);
        }
        if (code === "UNAUTHORIZED") return stop(CLOSE_UNAUTHENTICATED, "You are signed out", "Sign in again to work together.", true);
        return retry(`could not get a realtime token: ${errorMessage(e)}`);
      }
      if (disposed) return;
      const prevRole = current.me?.role;
      const me: PresenceUser = { ...t.user, role: t.role };
      set({ me, notice: prevRole && prevRole !== t.role ? `Your role in this workspace is now ${t.role}.` : current.notice });
      const params = { token: t.token, v: String(COLLAB_SCHEMA_VERSION) };
      if (!provider) {
        provider = new WebsocketProvider(t.url, t.room, doc, {
          connect: false,
          awareness,
          params,
          // one authority: the server (a tab of another role must not reach us through BroadcastChannel)
          disableBc: true,
          // every server close comes to `onClosed` below, which fetches a new token
          shouldReconnect: () => false,
        });
        provider.on("status", ({ status }) => {
          if (status !== "connected") return;
          // After a reconnect both sides remember each other's last awareness clocks and would
          // ignore the same states sent again: forget the others' clocks (their states are gone
          // since the close) and re-announce ourselves with a new clock.
          for (const id of [...awareness.meta.keys()]) if (id !== awareness.clientID && !awareness.states.has(id)) awareness.meta.delete(id);
          const mine = awareness.getLocalState();
          if (mine) awareness.setLocalState({ ...mine });
          set({ phase: { kind: "live", synced: false } });
        });
        provider.on("sync", (synced: boolean) => {
          if (!synced || disposed) return;
          const err = checkSchema(doc, current.me !== null && current.me.role !== "VIEWER");
          if (err) return stop(CLOSE_SCHEMA_MISMATCH, "Reload: this page is out of date", err, true);
          failures = 0;
          refusals = 0;
          everLive = true;
          set({ phase: { kind: "live", synced: true } });
        });
        provider.on("closed", ({ code, reason }) => onClosed(code, reason));
        // a classroom's server changes a participant's role on the open socket (made presenter, or
        // handing it back): writes are accepted from now on (or no longer), and our presence is sent
        // again so the others see the new role
        provider.messageHandlers[MESSAGE_ROLE] = (_reply, decoder) => {
          const role = ZPresenceUser.shape.role.safeParse(decoding.readVarString(decoder));
          if (!role.success || !current.me || current.me.role === role.data) return;
          set({ me: { ...current.me, role: role.data }, notice: `Your role in this ${where} is now ${role.data}.` });
          const mine = awareness.getLocalState();
          if (mine) awareness.setLocalState({ ...mine });
        };
        // a classroom's staff are told when answers were stored (they read the tasks again)
        provider.messageHandlers[MESSAGE_SIGNAL] = (_reply, decoder) => {
          signals.dispatchEvent(new Event(decoding.readVarString(decoder)));
        };
      } else {
        provider.params = params;
      }
      provider.connect();
    }

    function onClosed(code: number, reason: string): void {
      if (disposed) return;
      const why = reason || `closed with code ${code}`;
      lastReason = reason || null;
      if (code === CLOSE_SCHEMA_MISMATCH) return stop(code, "Reload: this page is out of date", why, true);
      if (code === CLOSE_MALFORMED) return stop(code, "The realtime connection was refused", `${why}. Reload the page to reconnect.`, true);
      if (code === CLOSE_FORBIDDEN || code === CLOSE_UNAUTHENTICATED) {
        // A new token tells removed (sync.token refuses) from a changed role or an expired token.
        refusals++;
        if (refusals >= 2) {
          return code === CLOSE_FORBIDDEN
            ? stop(code, everLive ? `You were removed from this ${where}` : `You cannot join this ${where === "workspace" ? "dataset's room" : where}`, why, false)
            : stop(code, "The realtime server did not accept this session", `${why}. Reload the page.`, true);
        }
        void connect();
        return;
      }
      retry(`the realtime connection closed (${why})`);
    }

    void connect();
    return () => {
      disposed = true;
      if (timer) clearTimeout(timer);
      awareness.setLocalState(null);
      provider?.destroy();
      awareness.destroy();
      doc.destroy();
    };
  }, [key, enabled, where]);

  return room;
}
